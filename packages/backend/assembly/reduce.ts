// Column sums for the bias / affine / layer-scale gradients (a float32 [rows, cols] matrix summed over its rows),
// compiled by AssemblyScript with an IMPORTED memory (like adamw.ts): pointers are byte offsets on the tfjs heap.
// Each column is accumulated in float64 over the rows in increasing order and rounded to float32 once at the end:
// the same sums as the scalar JS loop it replaces, four columns per f32x4 load. No data segments.

/** out[j] = Σ_r x[r, j] for j < cols. */
export function sumRows(x: usize, out: usize, rows: i32, cols: i32): void {
  const rowBytes = <usize>cols << 2;
  let j = 0;
  for (; j + 8 <= cols; j += 8) {
    let s0 = f64x2.splat(0), s1 = f64x2.splat(0), s2 = f64x2.splat(0), s3 = f64x2.splat(0);
    let p = x + (<usize>j << 2);
    for (let r = 0; r < rows; r++) {
      const a = v128.load(p), b = v128.load(p, 16);
      s0 = f64x2.add(s0, f64x2.promote_low_f32x4(a));
      s1 = f64x2.add(s1, f64x2.promote_low_f32x4(v128.shuffle<f32>(a, a, 2, 3, 0, 1)));
      s2 = f64x2.add(s2, f64x2.promote_low_f32x4(b));
      s3 = f64x2.add(s3, f64x2.promote_low_f32x4(v128.shuffle<f32>(b, b, 2, 3, 0, 1)));
      p += rowBytes;
    }
    const o = out + (<usize>j << 2);
    v128.store64_lane(o, f32x4.demote_f64x2_zero(s0), 0);
    v128.store64_lane(o + 8, f32x4.demote_f64x2_zero(s1), 0);
    v128.store64_lane(o + 16, f32x4.demote_f64x2_zero(s2), 0);
    v128.store64_lane(o + 24, f32x4.demote_f64x2_zero(s3), 0);
  }
  for (; j < cols; j++) {
    let s: f64 = 0;
    let p = x + (<usize>j << 2);
    for (let r = 0; r < rows; r++) {
      s += <f64>load<f32>(p);
      p += rowBytes;
    }
    store<f32>(out + (<usize>j << 2), <f32>s);
  }
}
