// Global Response Normalization (ConvNeXt V2, Woo et al. 2023, "ConvNeXt V2: Co-designing and Scaling ConvNets with
// Masked Autoencoders"; timm's GlobalResponseNorm) and its gradient, compiled by AssemblyScript with an IMPORTED
// memory: the pointers are tensor offsets on the tfjs heap, nothing is copied. No data segments.
// x, y, dy, dx: [n, hw, c] (NHWC maps with the spatial axes flattened); w, b: [c]; g: [n, c].
// Per sample: g_c = √(Σ_hw x² + 1e-30), nx_c = g_c / (mean_c g + eps), y = x + w·x·nx + b = x·(1 + w·nx) + b.
// Channels are contiguous, so every loop runs over channels in vectors of 4 with a scalar tail.

const TINY: f32 = 1e-30; // keeps √ differentiable for an all-zero channel (FCMAE masks), as the composite op does

@inline function at(base: usize, i: i32): usize {
  return base + (<usize>i << 2);
}

function zero(p: usize, count: i32): void {
  for (let i = 0; i < count; i++) store<f32>(at(p, i), 0);
}

/** Σ_c g_c over one sample's norms. */
function sumOf(g: usize, c: i32): f32 {
  let total: f32 = 0;
  for (let i = 0; i < c; i++) total += load<f32>(at(g, i));
  return total;
}

/** g (output, [n, c]) and y. */
export function grn(x: usize, w: usize, b: usize, y: usize, g: usize, n: i32, hw: i32, c: i32, eps: f32): void {
  const c4 = c & ~3;
  for (let s = 0; s < n; s++) {
    const gs = at(g, s * c);
    const xs = at(x, s * hw * c);
    const ys = at(y, s * hw * c);
    zero(gs, c);
    for (let p = 0; p < hw; p++) {
      const row = at(xs, p * c);
      for (let i = 0; i < c4; i += 4) {
        const v = v128.load(at(row, i));
        v128.store(at(gs, i), f32x4.add(v128.load(at(gs, i)), f32x4.mul(v, v)));
      }
      for (let i = c4; i < c; i++) {
        const v = load<f32>(at(row, i));
        store<f32>(at(gs, i), load<f32>(at(gs, i)) + v * v);
      }
    }
    for (let i = 0; i < c; i++) store<f32>(at(gs, i), Mathf.sqrt(load<f32>(at(gs, i)) + TINY));
    const inv: f32 = 1.0 / (sumOf(gs, c) / <f32>c + eps);
    const invv = f32x4.splat(inv);
    const one = f32x4.splat(1.0);
    for (let p = 0; p < hw; p++) {
      const xr = at(xs, p * c);
      const yr = at(ys, p * c);
      for (let i = 0; i < c4; i += 4) {
        const k = f32x4.add(one, f32x4.mul(v128.load(at(w, i)), f32x4.mul(v128.load(at(gs, i)), invv)));
        v128.store(at(yr, i), f32x4.add(f32x4.mul(v128.load(at(xr, i)), k), v128.load(at(b, i))));
      }
      for (let i = c4; i < c; i++) {
        const k: f32 = 1.0 + load<f32>(at(w, i)) * (load<f32>(at(gs, i)) * inv);
        store<f32>(at(yr, i), load<f32>(at(xr, i)) * k + load<f32>(at(b, i)));
      }
    }
  }
}

/**
 * dx; dw += Σ dy·x·nx and db += Σ dy (dw, db zeroed by the caller); t: scratch of 2c floats. With a_c = Σ_hw dy·x and
 * D = mean_c g + eps: ∂L/∂nx_c = w_c·a_c, ∂L/∂g_c = w_c·a_c/D − Σ_j w_j·a_j·g_j/(c·D²), and since ∂g_c/∂x = x/g_c,
 * dx = dy·(1 + w·nx) + x·(∂L/∂g_c)/g_c.
 */
export function grnGrad(
  dy: usize, x: usize, w: usize, g: usize, dx: usize, dw: usize, db: usize, t: usize, n: i32, hw: i32, c: i32, eps: f32,
): void {
  const c4 = c & ~3;
  const a = t; // a_c, then replaced by (∂L/∂g_c)/g_c
  const k1 = at(t, c); // 1 + w_c·nx_c
  for (let s = 0; s < n; s++) {
    const gs = at(g, s * c);
    const xs = at(x, s * hw * c);
    const dys = at(dy, s * hw * c);
    const dxs = at(dx, s * hw * c);
    zero(a, c);
    for (let p = 0; p < hw; p++) {
      const xr = at(xs, p * c);
      const dr = at(dys, p * c);
      for (let i = 0; i < c4; i += 4) {
        const d = v128.load(at(dr, i));
        v128.store(at(a, i), f32x4.add(v128.load(at(a, i)), f32x4.mul(d, v128.load(at(xr, i)))));
        v128.store(at(db, i), f32x4.add(v128.load(at(db, i)), d));
      }
      for (let i = c4; i < c; i++) {
        const d = load<f32>(at(dr, i));
        store<f32>(at(a, i), load<f32>(at(a, i)) + d * load<f32>(at(xr, i)));
        store<f32>(at(db, i), load<f32>(at(db, i)) + d);
      }
    }
    const inv: f32 = 1.0 / (sumOf(gs, c) / <f32>c + eps);
    let wag: f32 = 0;
    for (let i = 0; i < c; i++) wag += load<f32>(at(w, i)) * load<f32>(at(a, i)) * load<f32>(at(gs, i));
    const shared: f32 = (wag * inv * inv) / <f32>c;
    for (let i = 0; i < c; i++) {
      const gi = load<f32>(at(gs, i));
      const wi = load<f32>(at(w, i));
      const ai = load<f32>(at(a, i));
      const nx = gi * inv;
      store<f32>(at(dw, i), load<f32>(at(dw, i)) + nx * ai);
      store<f32>(at(k1, i), 1.0 + wi * nx);
      store<f32>(at(a, i), (wi * ai * inv - shared) / gi);
    }
    for (let p = 0; p < hw; p++) {
      const xr = at(xs, p * c);
      const dr = at(dys, p * c);
      const out = at(dxs, p * c);
      for (let i = 0; i < c4; i += 4) {
        const v = f32x4.add(f32x4.mul(v128.load(at(dr, i)), v128.load(at(k1, i))), f32x4.mul(v128.load(at(xr, i)), v128.load(at(a, i))));
        v128.store(at(out, i), v);
      }
      for (let i = c4; i < c; i++) {
        store<f32>(at(out, i), load<f32>(at(dr, i)) * load<f32>(at(k1, i)) + load<f32>(at(xr, i)) * load<f32>(at(a, i)));
      }
    }
  }
}
