// Matrix products for the matmul gradients, compiled by AssemblyScript with an IMPORTED memory (like adamw.ts): the
// pointers are the tensors' byte offsets on the tfjs heap, nothing is copied and nothing is packed. No data segments.
//
// One batch entry per call, row-major, C[m, n] written (gemmNN with accumulate != 0: added to, C += op(A)·B + bias,
// so a long k can be split into blocks that stay in cache):
//   gemmNN: C = op(A)·B + bias, B [k, n]; op(A)[i, p] at a + i·aRow + p·aCol (A [m, k]: aRow = k, aCol = 1;
//           Aᵀ of A [k, m]: aRow = 1, aCol = m; strides in floats). Outer-product tiles of 4 rows × 8 columns: per p,
//           four broadcast A values times two 4-lane rows of B, eight f32x4 accumulators in registers.
//   gemmNT: C = A·Bᵀ + bias, A [m, k], B [n, k]: every output is a dot product of two contiguous rows; tiles of
//           4 rows of A × 2 rows of B, eight accumulators over k in 4-lane steps, then a horizontal sum.
// bias = 0: no bias; else bias[j] is added to every row. relu != 0 clamps at 0 after the bias.
// Sums run over p in increasing order within each lane (the order differs from XNNPACK's only by rounding).
// Built twice from this file: with plain SIMD (multiply, then add) and with relaxed SIMD, where `madd` is the fused
// multiply-add (one rounding per step; twice the arithmetic throughput on x86 FMA3 and arm64).

/** a·b + c, fused when the relaxed-SIMD build allows it. */
function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

function finish(v: f32, relu: i32): f32 {
  return relu != 0 && v < 0 ? 0 : v;
}

function finish4(v: v128, relu: i32): v128 {
  return relu != 0 ? f32x4.max(v, f32x4.splat(0)) : v;
}

function biasVec(bias: usize, j: i32): v128 {
  return bias != 0 ? v128.load(bias + (<usize>j << 2)) : f32x4.splat(0);
}

function biasAt(bias: usize, j: i32): f32 {
  return bias != 0 ? load<f32>(bias + (<usize>j << 2)) : 0;
}

export function gemmNN(
  a: usize, b: usize, c: usize, bias: usize, m: i32, n: i32, k: i32, aRow: i32, aCol: i32, relu: i32, accumulate: i32,
): void {
  const rowBytes = <usize>aRow << 2;
  const colBytes = <usize>aCol << 2;
  const bRowBytes = <usize>n << 2;
  const m4 = m & ~3;
  let j = 0;
  for (; j + 8 <= n; j += 8) {
    const bias0 = biasVec(bias, j), bias1 = biasVec(bias, j + 4);
    let i = 0;
    for (; i < m4; i += 4) {
      const cp = c + ((<usize>i * <usize>n + <usize>j) << 2);
      let c00 = bias0, c01 = bias1, c10 = bias0, c11 = bias1;
      let c20 = bias0, c21 = bias1, c30 = bias0, c31 = bias1;
      if (accumulate != 0) {
        c00 = f32x4.add(c00, v128.load(cp)); c01 = f32x4.add(c01, v128.load(cp, 16));
        c10 = f32x4.add(c10, v128.load(cp + bRowBytes)); c11 = f32x4.add(c11, v128.load(cp + bRowBytes, 16));
        c20 = f32x4.add(c20, v128.load(cp + 2 * bRowBytes)); c21 = f32x4.add(c21, v128.load(cp + 2 * bRowBytes, 16));
        c30 = f32x4.add(c30, v128.load(cp + 3 * bRowBytes)); c31 = f32x4.add(c31, v128.load(cp + 3 * bRowBytes, 16));
      }
      let ap = a + <usize>i * rowBytes;
      let bp = b + (<usize>j << 2);
      for (let p = 0; p < k; p++) {
        const b0 = v128.load(bp), b1 = v128.load(bp, 16);
        const a0 = v128.load32_splat(ap);
        const a1 = v128.load32_splat(ap + rowBytes);
        const a2 = v128.load32_splat(ap + 2 * rowBytes);
        const a3 = v128.load32_splat(ap + 3 * rowBytes);
        c00 = madd(a0, b0, c00); c01 = madd(a0, b1, c01);
        c10 = madd(a1, b0, c10); c11 = madd(a1, b1, c11);
        c20 = madd(a2, b0, c20); c21 = madd(a2, b1, c21);
        c30 = madd(a3, b0, c30); c31 = madd(a3, b1, c31);
        ap += colBytes;
        bp += bRowBytes;
      }
      v128.store(cp, finish4(c00, relu)); v128.store(cp, finish4(c01, relu), 16);
      v128.store(cp + bRowBytes, finish4(c10, relu)); v128.store(cp + bRowBytes, finish4(c11, relu), 16);
      v128.store(cp + 2 * bRowBytes, finish4(c20, relu)); v128.store(cp + 2 * bRowBytes, finish4(c21, relu), 16);
      v128.store(cp + 3 * bRowBytes, finish4(c30, relu)); v128.store(cp + 3 * bRowBytes, finish4(c31, relu), 16);
    }
    for (; i < m; i++) {
      const cp = c + ((<usize>i * <usize>n + <usize>j) << 2);
      let c0 = bias0, c1 = bias1;
      if (accumulate != 0) {
        c0 = f32x4.add(c0, v128.load(cp));
        c1 = f32x4.add(c1, v128.load(cp, 16));
      }
      let ap = a + <usize>i * rowBytes;
      let bp = b + (<usize>j << 2);
      for (let p = 0; p < k; p++) {
        const av = v128.load32_splat(ap);
        c0 = madd(av, v128.load(bp), c0);
        c1 = madd(av, v128.load(bp, 16), c1);
        ap += colBytes;
        bp += bRowBytes;
      }
      v128.store(cp, finish4(c0, relu)); v128.store(cp, finish4(c1, relu), 16);
    }
  }
  for (; j + 4 <= n; j += 4) {
    const bias0 = biasVec(bias, j);
    for (let i = 0; i < m; i++) {
      const cp = c + ((<usize>i * <usize>n + <usize>j) << 2);
      let c0 = accumulate != 0 ? f32x4.add(bias0, v128.load(cp)) : bias0;
      let ap = a + <usize>i * rowBytes;
      let bp = b + (<usize>j << 2);
      for (let p = 0; p < k; p++) {
        c0 = madd(v128.load32_splat(ap), v128.load(bp), c0);
        ap += colBytes;
        bp += bRowBytes;
      }
      v128.store(cp, finish4(c0, relu));
    }
  }
  for (; j < n; j++) {
    for (let i = 0; i < m; i++) {
      const cp = c + ((<usize>i * <usize>n + <usize>j) << 2);
      let s: f32 = biasAt(bias, j);
      if (accumulate != 0) s += load<f32>(cp);
      let ap = a + <usize>i * rowBytes;
      let bp = b + (<usize>j << 2);
      for (let p = 0; p < k; p++) {
        s += load<f32>(ap) * load<f32>(bp);
        ap += colBytes;
        bp += bRowBytes;
      }
      store<f32>(cp, finish(s, relu));
    }
  }
}

function hsum(v: v128): f32 {
  const s = f32x4.add(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1);
}

export function gemmNT(a: usize, b: usize, c: usize, bias: usize, m: i32, n: i32, k: i32, relu: i32): void {
  const kBytes = <usize>k << 2;
  const k4 = k & ~3;
  const m4 = m & ~3;
  const n2 = n & ~1;
  let i = 0;
  for (; i < m4; i += 4) {
    const a0p = a + <usize>i * kBytes;
    let j = 0;
    for (; j < n2; j += 2) {
      const b0p = b + <usize>j * kBytes;
      let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s10 = f32x4.splat(0), s11 = f32x4.splat(0);
      let s20 = f32x4.splat(0), s21 = f32x4.splat(0), s30 = f32x4.splat(0), s31 = f32x4.splat(0);
      for (let p = 0; p < k4; p += 4) {
        const off = <usize>p << 2;
        const b0 = v128.load(b0p + off), b1 = v128.load(b0p + kBytes + off);
        const a0 = v128.load(a0p + off);
        const a1 = v128.load(a0p + kBytes + off);
        const a2 = v128.load(a0p + 2 * kBytes + off);
        const a3 = v128.load(a0p + 3 * kBytes + off);
        s00 = madd(a0, b0, s00); s01 = madd(a0, b1, s01);
        s10 = madd(a1, b0, s10); s11 = madd(a1, b1, s11);
        s20 = madd(a2, b0, s20); s21 = madd(a2, b1, s21);
        s30 = madd(a3, b0, s30); s31 = madd(a3, b1, s31);
      }
      let r00 = hsum(s00), r01 = hsum(s01), r10 = hsum(s10), r11 = hsum(s11);
      let r20 = hsum(s20), r21 = hsum(s21), r30 = hsum(s30), r31 = hsum(s31);
      for (let p = k4; p < k; p++) {
        const off = <usize>p << 2;
        const b0 = load<f32>(b0p + off), b1 = load<f32>(b0p + kBytes + off);
        const a0 = load<f32>(a0p + off), a1 = load<f32>(a0p + kBytes + off);
        const a2 = load<f32>(a0p + 2 * kBytes + off), a3 = load<f32>(a0p + 3 * kBytes + off);
        r00 += a0 * b0; r01 += a0 * b1; r10 += a1 * b0; r11 += a1 * b1;
        r20 += a2 * b0; r21 += a2 * b1; r30 += a3 * b0; r31 += a3 * b1;
      }
      const bias0 = biasAt(bias, j), bias1 = biasAt(bias, j + 1);
      const cp = c + ((<usize>i * <usize>n + <usize>j) << 2);
      const nBytes = <usize>n << 2;
      store<f32>(cp, finish(r00 + bias0, relu)); store<f32>(cp, finish(r01 + bias1, relu), 4);
      store<f32>(cp + nBytes, finish(r10 + bias0, relu)); store<f32>(cp + nBytes, finish(r11 + bias1, relu), 4);
      store<f32>(cp + 2 * nBytes, finish(r20 + bias0, relu)); store<f32>(cp + 2 * nBytes, finish(r21 + bias1, relu), 4);
      store<f32>(cp + 3 * nBytes, finish(r30 + bias0, relu)); store<f32>(cp + 3 * nBytes, finish(r31 + bias1, relu), 4);
    }
    for (; j < n; j++) {
      for (let r = 0; r < 4; r++) dotInto(a0p + <usize>r * kBytes, b + <usize>j * kBytes, c, bias, i + r, j, n, k, relu);
    }
  }
  for (; i < m; i++) {
    for (let j = 0; j < n; j++) dotInto(a + <usize>i * kBytes, b + <usize>j * kBytes, c, bias, i, j, n, k, relu);
  }
}

/** C[i, j] = Σ_p ap[p]·bp[p] + bias[j], one output (the tails of gemmNT). */
function dotInto(ap: usize, bp: usize, c: usize, bias: usize, i: i32, j: i32, n: i32, k: i32, relu: i32): void {
  const k4 = k & ~3;
  let s = f32x4.splat(0);
  for (let p = 0; p < k4; p += 4) {
    const off = <usize>p << 2;
    s = madd(v128.load(ap + off), v128.load(bp + off), s);
  }
  let r = hsum(s);
  for (let p = k4; p < k; p++) r += load<f32>(ap + (<usize>p << 2)) * load<f32>(bp + (<usize>p << 2));
  store<f32>(c + ((<usize>i * <usize>n + <usize>j) << 2), finish(r + biasAt(bias, j), relu));
}
