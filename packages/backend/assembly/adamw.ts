// Fused AdamW update, compiled by AssemblyScript with an IMPORTED memory: the JS side instantiates it with
// tfjs-backend-wasm's own WebAssembly.Memory, so the pointers are the tensors' offsets on the tfjs heap and nothing is
// copied. The module must have no data segments (they would be written into the tfjs heap at instantiation);
// scripts/build-wasm.ts checks that.
//
// Per element, in exactly the order and float32 rounding of @nextnets/optim's composite path (one IEEE operation per
// tfjs op, no fused multiply-add), so both give the same bits:
//   pd = p·decay;  m' = m·β1 + g·(1−β1);  v' = v·β2 + (g·g)·(1−β2)
//   p' = pd − (m' / (√v' / √bc2 + eps))·stepSize
// Four lanes at a time, then a scalar tail (the buffers are exactly n floats: nothing past n is read or written).

export function adamw(
  p: usize, g: usize, m: usize, v: usize, pOut: usize, mOut: usize, vOut: usize, n: i32,
  decay: f32, beta1: f32, oneMinusBeta1: f32, beta2: f32, oneMinusBeta2: f32, sqrtBc2: f32, eps: f32, stepSize: f32,
): void {
  const vDecay = f32x4.splat(decay);
  const vB1 = f32x4.splat(beta1);
  const vOmb1 = f32x4.splat(oneMinusBeta1);
  const vB2 = f32x4.splat(beta2);
  const vOmb2 = f32x4.splat(oneMinusBeta2);
  const vSqrtBc2 = f32x4.splat(sqrtBc2);
  const vEps = f32x4.splat(eps);
  const vStep = f32x4.splat(stepSize);
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const off = <usize>i << 2;
    const gv = v128.load(g + off);
    const m1 = f32x4.add(f32x4.mul(v128.load(m + off), vB1), f32x4.mul(gv, vOmb1));
    const v1 = f32x4.add(f32x4.mul(v128.load(v + off), vB2), f32x4.mul(f32x4.mul(gv, gv), vOmb2));
    const denom = f32x4.add(f32x4.div(f32x4.sqrt(v1), vSqrtBc2), vEps);
    const pd = f32x4.mul(v128.load(p + off), vDecay);
    v128.store(pOut + off, f32x4.sub(pd, f32x4.mul(f32x4.div(m1, denom), vStep)));
    v128.store(mOut + off, m1);
    v128.store(vOut + off, v1);
  }
  for (let i = n4; i < n; i++) {
    const off = <usize>i << 2;
    const gs = load<f32>(g + off);
    const m1 = load<f32>(m + off) * beta1 + gs * oneMinusBeta1;
    const v1 = load<f32>(v + off) * beta2 + gs * gs * oneMinusBeta2;
    const denom = Mathf.sqrt(v1) / sqrtBc2 + eps;
    store<f32>(pOut + off, load<f32>(p + off) * decay - (m1 / denom) * stepSize);
    store<f32>(mOut + off, m1);
    store<f32>(vOut + off, v1);
  }
}
