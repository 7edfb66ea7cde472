// wasm SIMD kernels compiled by AssemblyScript: depthwise convolution (NHWC, channel multiplier 1), LayerNorm and BatchNorm.
// Compiled with an IMPORTED memory (like adamw.ts): all pointers are the tensors' byte offsets on the tfjs heap, nothing
// is copied in or out. No data segments. Depthwise: channels run innermost in blocks of 32, 16 and 4 (eight, four or
// one f32x4 accumulators kept in registers across the taps), then a scalar tail, so any channel count works; the taps
// are walked with precomputed pointer steps (sumBlock), not per-tap index arithmetic.
// Geometry of every call: input [batch, inH, inW, C], filter [kH, kW, C], output [batch, outH, outW, C], with
// ih = oh*strideH - padTop + fh*dilH and iw = ow*strideW - padLeft + fw*dilW.

let batch = 0, inH = 0, inW = 0, C = 0, outH = 0, outW = 0, kH = 0, kW = 0;
let strideH = 1, strideW = 1, dilH = 1, dilW = 1, padTop = 0, padLeft = 0;

/** Sets the geometry used by the next kernel call (too many values for one call's arguments to stay readable). */
export function setGeometry(
  b: i32, ih: i32, iw: i32, c: i32, oh: i32, ow: i32, fh: i32, fw: i32,
  sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32,
): void {
  batch = b; inH = ih; inW = iw; C = c; outH = oh; outW = ow; kH = fh; kW = fw;
  strideH = sh; strideW = sw; dilH = dh; dilW = dw; padTop = pt; padLeft = pl;
}

function pixel(base: usize, b: i32, h: i32, w: i32, height: i32, width: i32): usize {
  return base + ((<usize>((b * height + h) * width + w) * <usize>C) << 2);
}

/** The first tap f whose input index o·stride − pad + f·dil is ≥ 0. */
function firstTap(o: i32, stride: i32, pad: i32, dil: i32): i32 {
  const t = pad - o * stride;
  return t <= 0 ? 0 : (t + dil - 1) / dil;
}

/** One past the last tap f (at most k) whose input index o·stride − pad + f·dil is < limit; ≤ firstTap when none. */
function endTap(o: i32, stride: i32, pad: i32, dil: i32, limit: i32, k: i32): i32 {
  const t = limit - 1 - (o * stride - pad);
  return t < 0 ? 0 : min(k, t / dil + 1);
}

/**
 * One channel block of a depthwise sum: out[0..lanes) = init + Σ p·q over a three-level loop (n1 × n2 × n3 steps,
 * pointer steps in bytes per level; a step may be negative), the order of the old per-tap loops. `lanes` is 32, 16,
 * 4 or 1 channels (1: lane 0 of one vector, the same float32 multiply and add as scalar code): up to eight
 * independent accumulators, so consecutive adds do not wait on each other, and no index arithmetic per step.
 * init = 0: start from zeros.
 */
@inline function sumBlock(
  lanes: i32, p0: usize, q0: usize, init: usize, o: usize, n1: i32, n2: i32, n3: i32,
  p1: isize, p2: isize, p3: isize, q1: isize, q2: isize, q3: isize,
): void {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let a4 = f32x4.splat(0), a5 = f32x4.splat(0), a6 = f32x4.splat(0), a7 = f32x4.splat(0);
  if (init != 0) {
    a0 = lanes == 1 ? v128.load32_zero(init) : v128.load(init);
    if (lanes >= 16) { a1 = v128.load(init, 16); a2 = v128.load(init, 32); a3 = v128.load(init, 48); }
    if (lanes >= 32) { a4 = v128.load(init, 64); a5 = v128.load(init, 80); a6 = v128.load(init, 96); a7 = v128.load(init, 112); }
  }
  let pa = <isize>p0, qa = <isize>q0;
  for (let i1 = 0; i1 < n1; i1++) {
    let pb = pa, qb = qa;
    for (let i2 = 0; i2 < n2; i2++) {
      let p = pb, q = qb;
      for (let i3 = 0; i3 < n3; i3++) {
        const pp = <usize>p, qq = <usize>q;
        if (lanes == 1) a0 = f32x4.add(a0, f32x4.mul(v128.load32_zero(pp), v128.load32_zero(qq)));
        else a0 = f32x4.add(a0, f32x4.mul(v128.load(pp), v128.load(qq)));
        if (lanes >= 16) {
          a1 = f32x4.add(a1, f32x4.mul(v128.load(pp, 16), v128.load(qq, 16)));
          a2 = f32x4.add(a2, f32x4.mul(v128.load(pp, 32), v128.load(qq, 32)));
          a3 = f32x4.add(a3, f32x4.mul(v128.load(pp, 48), v128.load(qq, 48)));
        }
        if (lanes >= 32) {
          a4 = f32x4.add(a4, f32x4.mul(v128.load(pp, 64), v128.load(qq, 64)));
          a5 = f32x4.add(a5, f32x4.mul(v128.load(pp, 80), v128.load(qq, 80)));
          a6 = f32x4.add(a6, f32x4.mul(v128.load(pp, 96), v128.load(qq, 96)));
          a7 = f32x4.add(a7, f32x4.mul(v128.load(pp, 112), v128.load(qq, 112)));
        }
        p += p3;
        q += q3;
      }
      pb += p2;
      qb += q2;
    }
    pa += p1;
    qa += q1;
  }
  if (lanes == 1) v128.store32_lane(o, a0, 0);
  else v128.store(o, a0);
  if (lanes >= 16) { v128.store(o, a1, 16); v128.store(o, a2, 32); v128.store(o, a3, 48); }
  if (lanes >= 32) { v128.store(o, a4, 64); v128.store(o, a5, 80); v128.store(o, a6, 96); v128.store(o, a7, 112); }
}

/** Every channel of one output pixel (or filter tap) through sumBlock: blocks of 32, 16, 4, then single channels. */
@inline function sumChannels(
  p0: usize, q0: usize, init: usize, o: usize, n1: i32, n2: i32, n3: i32,
  p1: isize, p2: isize, p3: isize, q1: isize, q2: isize, q3: isize,
): void {
  let c = 0;
  for (; c + 32 <= C; c += 32) {
    const off = <usize>c << 2;
    sumBlock(32, p0 + off, q0 + off, init != 0 ? init + off : 0, o + off, n1, n2, n3, p1, p2, p3, q1, q2, q3);
  }
  for (; c + 16 <= C; c += 16) {
    const off = <usize>c << 2;
    sumBlock(16, p0 + off, q0 + off, init != 0 ? init + off : 0, o + off, n1, n2, n3, p1, p2, p3, q1, q2, q3);
  }
  for (; c + 4 <= C; c += 4) {
    const off = <usize>c << 2;
    sumBlock(4, p0 + off, q0 + off, init != 0 ? init + off : 0, o + off, n1, n2, n3, p1, p2, p3, q1, q2, q3);
  }
  for (; c < C; c++) {
    const off = <usize>c << 2;
    sumBlock(1, p0 + off, q0 + off, init != 0 ? init + off : 0, o + off, n1, n2, n3, p1, p2, p3, q1, q2, q3);
  }
}

/** out[b,oh,ow,c] = bias[c] + Σ_taps x[b,ih,iw,c]·w[fh,fw,c]; bias 0 = no bias. */
export function forward(x: usize, w: usize, bias: usize, out: usize): void {
  const cBytes = <isize>C << 2;
  for (let b = 0; b < batch; b++) {
    for (let oh = 0; oh < outH; oh++) {
      const fh0 = firstTap(oh, strideH, padTop, dilH), fh1 = endTap(oh, strideH, padTop, dilH, inH, kH);
      for (let ow = 0; ow < outW; ow++) {
        const fw0 = firstTap(ow, strideW, padLeft, dilW), fw1 = endTap(ow, strideW, padLeft, dilW, inW, kW);
        // the first valid tap's input pixel and weights (not read when no tap is valid)
        const x0 = pixel(x, b, oh * strideH - padTop + fh0 * dilH, ow * strideW - padLeft + fw0 * dilW, inH, inW);
        const w0 = w + <usize>(fh0 * kW + fw0) * <usize>cBytes;
        sumChannels(
          x0, w0, bias, pixel(out, b, oh, ow, outH, outW), 1, max(fh1 - fh0, 0), max(fw1 - fw0, 0),
          0, <isize>(dilH * inW) * cBytes, <isize>dilW * cBytes, 0, <isize>kW * cBytes, cBytes,
        );
      }
    }
  }
}

/** Output row/column hit by input index i through tap f, or -1 when none (stride does not divide, or out of range). */
function sourceIndex(i: i32, f: i32, pad: i32, dil: i32, stride: i32, limit: i32): i32 {
  const t = i + pad - f * dil;
  if (t < 0) return -1;
  if (stride == 1) return t < limit ? t : -1;
  const o = t / stride;
  if (o * stride != t || o >= limit) return -1;
  return o;
}

/** dx[b,ih,iw,c] = Σ over taps (fh,fw) whose output pixel (oh,ow) exists of dy[b,oh,ow,c]·w[fh,fw,c] (gather form). */
export function backpropInput(dy: usize, w: usize, dx: usize): void {
  if (strideH == 1 && strideW == 1) {
    backpropInputStride1(dy, w, dx);
    return;
  }
  for (let b = 0; b < batch; b++) {
    for (let ih = 0; ih < inH; ih++) {
      for (let iw = 0; iw < inW; iw++) {
        const o = pixel(dx, b, ih, iw, inH, inW);
        let c = 0;
        for (; c + 16 <= C; c += 16) {
          const off = <usize>c << 2;
          let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
          for (let fh = 0; fh < kH; fh++) {
            const oh = sourceIndex(ih, fh, padTop, dilH, strideH, outH);
            if (oh < 0) continue;
            for (let fw = 0; fw < kW; fw++) {
              const ow = sourceIndex(iw, fw, padLeft, dilW, strideW, outW);
              if (ow < 0) continue;
              const gp = pixel(dy, b, oh, ow, outH, outW) + off;
              const wp = w + ((<usize>((fh * kW + fw) * C) + <usize>c) << 2);
              a0 = f32x4.add(a0, f32x4.mul(v128.load(gp), v128.load(wp)));
              a1 = f32x4.add(a1, f32x4.mul(v128.load(gp, 16), v128.load(wp, 16)));
              a2 = f32x4.add(a2, f32x4.mul(v128.load(gp, 32), v128.load(wp, 32)));
              a3 = f32x4.add(a3, f32x4.mul(v128.load(gp, 48), v128.load(wp, 48)));
            }
          }
          v128.store(o + off, a0); v128.store(o + off, a1, 16); v128.store(o + off, a2, 32); v128.store(o + off, a3, 48);
        }
        for (; c + 4 <= C; c += 4) {
          const off = <usize>c << 2;
          let a0 = f32x4.splat(0);
          for (let fh = 0; fh < kH; fh++) {
            const oh = sourceIndex(ih, fh, padTop, dilH, strideH, outH);
            if (oh < 0) continue;
            for (let fw = 0; fw < kW; fw++) {
              const ow = sourceIndex(iw, fw, padLeft, dilW, strideW, outW);
              if (ow < 0) continue;
              const gp = pixel(dy, b, oh, ow, outH, outW) + off;
              const wp = w + ((<usize>((fh * kW + fw) * C) + <usize>c) << 2);
              a0 = f32x4.add(a0, f32x4.mul(v128.load(gp), v128.load(wp)));
            }
          }
          v128.store(o + off, a0);
        }
        for (; c < C; c++) {
          const off = <usize>c << 2;
          let a: f32 = 0;
          for (let fh = 0; fh < kH; fh++) {
            const oh = sourceIndex(ih, fh, padTop, dilH, strideH, outH);
            if (oh < 0) continue;
            for (let fw = 0; fw < kW; fw++) {
              const ow = sourceIndex(iw, fw, padLeft, dilW, strideW, outW);
              if (ow < 0) continue;
              a += load<f32>(pixel(dy, b, oh, ow, outH, outW) + off) * load<f32>(w + ((<usize>((fh * kW + fw) * C) + <usize>c) << 2));
            }
          }
          store<f32>(o + off, a);
        }
      }
    }
  }
}

/**
 * backpropInput for stride 1: the taps reaching input row ih are the contiguous range of fh with
 * 0 ≤ ih + padTop − fh·dilH < outH (columns likewise), so each pixel is one sumChannels over that range, stepping
 * backwards through dy. Same products, same order as the gather loops.
 */
function backpropInputStride1(dy: usize, w: usize, dx: usize): void {
  const cBytes = <isize>C << 2;
  for (let b = 0; b < batch; b++) {
    for (let ih = 0; ih < inH; ih++) {
      const fh0 = tapFrom(ih + padTop, dilH, outH), fh1 = min(kH, (ih + padTop) / dilH + 1);
      for (let iw = 0; iw < inW; iw++) {
        const fw0 = tapFrom(iw + padLeft, dilW, outW), fw1 = min(kW, (iw + padLeft) / dilW + 1);
        const g0 = pixel(dy, b, ih + padTop - fh0 * dilH, iw + padLeft - fw0 * dilW, outH, outW);
        const w0 = w + <usize>(fh0 * kW + fw0) * <usize>cBytes;
        sumChannels(
          g0, w0, 0, pixel(dx, b, ih, iw, inH, inW), 1, max(fh1 - fh0, 0), max(fw1 - fw0, 0),
          0, -(<isize>(dilH * outW) * cBytes), -(<isize>dilW * cBytes), 0, <isize>kW * cBytes, cBytes,
        );
      }
    }
  }
}

/** The smallest tap f ≥ 0 with t − f·dil < limit (t ≥ 0), i.e. ⌈(t − limit + 1)/dil⌉ clamped at 0. */
function tapFrom(t: i32, dil: i32, limit: i32): i32 {
  const over = t - limit + 1;
  return over <= 0 ? 0 : (over + dil - 1) / dil;
}

/** The first output o whose input index o·stride − pad + f·dil is ≥ 0. */
function firstOutput(f: i32, dil: i32, pad: i32, stride: i32): i32 {
  const t = pad - f * dil;
  return t <= 0 ? 0 : (t + stride - 1) / stride;
}

/** One past the last output o (at most outLimit) whose input index o·stride − pad + f·dil is < inLimit. */
function endOutput(f: i32, dil: i32, pad: i32, stride: i32, inLimit: i32, outLimit: i32): i32 {
  const t = inLimit - 1 + pad - f * dil;
  return t < 0 ? 0 : min(outLimit, t / stride + 1);
}

/** dW[fh,fw,c] = Σ_{b,oh,ow} x[b,ih,iw,c]·dy[b,oh,ow,c] over the pixels where (ih,iw) is inside the input. */
export function backpropFilter(x: usize, dy: usize, dW: usize): void {
  const cBytes = <isize>C << 2;
  for (let fh = 0; fh < kH; fh++) {
    const oh0 = firstOutput(fh, dilH, padTop, strideH), oh1 = endOutput(fh, dilH, padTop, strideH, inH, outH);
    for (let fw = 0; fw < kW; fw++) {
      const ow0 = firstOutput(fw, dilW, padLeft, strideW), ow1 = endOutput(fw, dilW, padLeft, strideW, inW, outW);
      // x at the first output pixel's input (not read when the range is empty), dy at that output pixel
      const x0 = pixel(x, 0, oh0 * strideH - padTop + fh * dilH, ow0 * strideW - padLeft + fw * dilW, inH, inW);
      sumChannels(
        x0, pixel(dy, 0, oh0, ow0, outH, outW), 0, dW + <usize>(fh * kW + fw) * <usize>cBytes,
        batch, max(oh1 - oh0, 0), max(ow1 - ow0, 0),
        <isize>(inH * inW) * cBytes, <isize>(strideH * inW) * cBytes, <isize>strideW * cBytes,
        <isize>(outH * outW) * cBytes, <isize>outW * cBytes, cBytes,
      );
    }
  }
}

// ---- LayerNorm over the last axis (rows of C contiguous floats) ---------------------------------------------------
// Channels in vectors of 4 with a scalar tail; per-row statistics reduced across lanes at the end of each pass.

function lanesSum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

/** y = (x − μ)·r·w + b per row, r = 1/√(σ² + eps) (biased variance, two passes); writes μ and r per row. */
export function layerNorm(x: usize, w: usize, b: usize, y: usize, mean: usize, rstd: usize, rows: i32, c: i32, eps: f32): void {
  const c4 = c & ~3;
  for (let r = 0; r < rows; r++) {
    const row = <usize>(r * c) << 2;
    let s = f32x4.splat(0);
    for (let i = 0; i < c4; i += 4) s = f32x4.add(s, v128.load(x + row + (<usize>i << 2)));
    let sum = lanesSum(s);
    for (let i = c4; i < c; i++) sum += load<f32>(x + row + (<usize>i << 2));
    const mu = sum / <f32>c;
    const muv = f32x4.splat(mu);
    let q = f32x4.splat(0);
    for (let i = 0; i < c4; i += 4) {
      const d = f32x4.sub(v128.load(x + row + (<usize>i << 2)), muv);
      q = f32x4.add(q, f32x4.mul(d, d));
    }
    let sq = lanesSum(q);
    for (let i = c4; i < c; i++) {
      const d = load<f32>(x + row + (<usize>i << 2)) - mu;
      sq += d * d;
    }
    const rs: f32 = 1.0 / Mathf.sqrt(sq / <f32>c + eps);
    const rsv = f32x4.splat(rs);
    for (let i = 0; i < c4; i += 4) {
      const off = <usize>i << 2;
      const xh = f32x4.mul(f32x4.sub(v128.load(x + row + off), muv), rsv);
      v128.store(y + row + off, f32x4.add(f32x4.mul(xh, v128.load(w + off)), v128.load(b + off)));
    }
    for (let i = c4; i < c; i++) {
      const off = <usize>i << 2;
      store<f32>(y + row + off, (load<f32>(x + row + off) - mu) * rs * load<f32>(w + off) + load<f32>(b + off));
    }
    store<f32>(mean + (<usize>r << 2), mu);
    store<f32>(rstd + (<usize>r << 2), rs);
  }
}

/**
 * With x̂ = (x − μ)·r and g = dy·w: dx = r·(g − mean(g) − x̂·mean(g·x̂)) per row; dw += dy·x̂ and db += dy over rows
 * (dw and db must be zeroed by the caller).
 */
export function layerNormGrad(
  dy: usize, x: usize, w: usize, mean: usize, rstd: usize, dx: usize, dw: usize, db: usize, rows: i32, c: i32,
): void {
  const c4 = c & ~3;
  for (let r = 0; r < rows; r++) {
    const row = <usize>(r * c) << 2;
    const mu = load<f32>(mean + (<usize>r << 2));
    const rs = load<f32>(rstd + (<usize>r << 2));
    const muv = f32x4.splat(mu);
    const rsv = f32x4.splat(rs);
    let sg = f32x4.splat(0);
    let sgx = f32x4.splat(0);
    for (let i = 0; i < c4; i += 4) {
      const off = <usize>i << 2;
      const d = v128.load(dy + row + off);
      const xh = f32x4.mul(f32x4.sub(v128.load(x + row + off), muv), rsv);
      const g = f32x4.mul(d, v128.load(w + off));
      sg = f32x4.add(sg, g);
      sgx = f32x4.add(sgx, f32x4.mul(g, xh));
      v128.store(dw + off, f32x4.add(v128.load(dw + off), f32x4.mul(d, xh)));
      v128.store(db + off, f32x4.add(v128.load(db + off), d));
    }
    let sumG = lanesSum(sg);
    let sumGX = lanesSum(sgx);
    for (let i = c4; i < c; i++) {
      const off = <usize>i << 2;
      const d = load<f32>(dy + row + off);
      const xh = (load<f32>(x + row + off) - mu) * rs;
      const g = d * load<f32>(w + off);
      sumG += g;
      sumGX += g * xh;
      store<f32>(dw + off, load<f32>(dw + off) + d * xh);
      store<f32>(db + off, load<f32>(db + off) + d);
    }
    const mg = f32x4.splat(sumG / <f32>c);
    const mgx = f32x4.splat(sumGX / <f32>c);
    for (let i = 0; i < c4; i += 4) {
      const off = <usize>i << 2;
      const xh = f32x4.mul(f32x4.sub(v128.load(x + row + off), muv), rsv);
      const g = f32x4.mul(v128.load(dy + row + off), v128.load(w + off));
      v128.store(dx + row + off, f32x4.mul(rsv, f32x4.sub(f32x4.sub(g, mg), f32x4.mul(xh, mgx))));
    }
    for (let i = c4; i < c; i++) {
      const off = <usize>i << 2;
      const xh = (load<f32>(x + row + off) - mu) * rs;
      const g = load<f32>(dy + row + off) * load<f32>(w + off);
      store<f32>(dx + row + off, rs * (g - sumG / <f32>c - xh * (sumGX / <f32>c)));
    }
  }
}

// ---- BatchNorm in training mode: per-channel statistics over all rows (rows of C contiguous floats) -------------
// Channels in vectors of 4 with a scalar tail; the per-channel sums accumulate in float32 buffers, row after row.

/** dst[i] = 0 for i < n. */
function zeroFloats(dst: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<f32>(dst + (<usize>i << 2), 0);
}

/**
 * mean[j] = Σ_rows x / rows, variance[j] = Σ_rows (x − mean)² / rows (biased, two passes like tf.moments), then
 * y = (x − mean)·s + b with s = w/√(variance + eps) (kept in `scale`, c floats of scratch).
 */
export function batchNorm(
  x: usize, w: usize, b: usize, y: usize, mean: usize, variance: usize, scale: usize, rows: i32, c: i32, eps: f32,
): void {
  const c4 = c & ~3;
  const n = <f32>rows;
  zeroFloats(mean, c);
  zeroFloats(variance, c);
  for (let r = 0; r < rows; r++) {
    const row = x + (<usize>(r * c) << 2);
    for (let i = 0; i < c4; i += 4) {
      const off = <usize>i << 2;
      v128.store(mean + off, f32x4.add(v128.load(mean + off), v128.load(row + off)));
    }
    for (let i = c4; i < c; i++) {
      const off = <usize>i << 2;
      store<f32>(mean + off, load<f32>(mean + off) + load<f32>(row + off));
    }
  }
  for (let i = 0; i < c; i++) store<f32>(mean + (<usize>i << 2), load<f32>(mean + (<usize>i << 2)) / n);
  for (let r = 0; r < rows; r++) {
    const row = x + (<usize>(r * c) << 2);
    for (let i = 0; i < c4; i += 4) {
      const off = <usize>i << 2;
      const d = f32x4.sub(v128.load(row + off), v128.load(mean + off));
      v128.store(variance + off, f32x4.add(v128.load(variance + off), f32x4.mul(d, d)));
    }
    for (let i = c4; i < c; i++) {
      const off = <usize>i << 2;
      const d = load<f32>(row + off) - load<f32>(mean + off);
      store<f32>(variance + off, load<f32>(variance + off) + d * d);
    }
  }
  for (let i = 0; i < c; i++) {
    const off = <usize>i << 2;
    const v = load<f32>(variance + off) / n;
    store<f32>(variance + off, v);
    store<f32>(scale + off, load<f32>(w + off) / Mathf.sqrt(v + eps));
  }
  for (let r = 0; r < rows; r++) {
    const off0 = <usize>(r * c) << 2;
    for (let i = 0; i < c4; i += 4) {
      const off = <usize>i << 2;
      const d = f32x4.sub(v128.load(x + off0 + off), v128.load(mean + off));
      v128.store(y + off0 + off, f32x4.add(f32x4.mul(d, v128.load(scale + off)), v128.load(b + off)));
    }
    for (let i = c4; i < c; i++) {
      const off = <usize>i << 2;
      store<f32>(y + off0 + off, (load<f32>(x + off0 + off) - load<f32>(mean + off)) * load<f32>(scale + off) + load<f32>(b + off));
    }
  }
}

/**
 * With r = 1/√(variance + eps) and x̂ = (x − mean)·r, over all N rows: db = Σ dy, dw = Σ dy·x̂ and
 * dx = w·r·(dy − db/N − x̂·dw/N). `scratch` holds 3c floats: w·r, db/N and r·dw/N per channel.
 */
export function batchNormGrad(
  dy: usize, x: usize, w: usize, mean: usize, variance: usize, dx: usize, dw: usize, db: usize, scratch: usize,
  rows: i32, c: i32, eps: f32,
): void {
  const c4 = c & ~3;
  const n = <f32>rows;
  zeroFloats(dw, c);
  zeroFloats(db, c);
  // dw accumulates Σ dy·(x − mean) here and is scaled by r below
  for (let r = 0; r < rows; r++) {
    const off0 = <usize>(r * c) << 2;
    for (let i = 0; i < c4; i += 4) {
      const off = <usize>i << 2;
      const d = v128.load(dy + off0 + off);
      const xc = f32x4.sub(v128.load(x + off0 + off), v128.load(mean + off));
      v128.store(db + off, f32x4.add(v128.load(db + off), d));
      v128.store(dw + off, f32x4.add(v128.load(dw + off), f32x4.mul(d, xc)));
    }
    for (let i = c4; i < c; i++) {
      const off = <usize>i << 2;
      const d = load<f32>(dy + off0 + off);
      store<f32>(db + off, load<f32>(db + off) + d);
      store<f32>(dw + off, load<f32>(dw + off) + d * (load<f32>(x + off0 + off) - load<f32>(mean + off)));
    }
  }
  const a = scratch, k1 = scratch + (<usize>c << 2), k2 = scratch + (<usize>c << 3);
  for (let i = 0; i < c; i++) {
    const off = <usize>i << 2;
    const rs: f32 = 1.0 / Mathf.sqrt(load<f32>(variance + off) + eps);
    const dwi = load<f32>(dw + off) * rs;
    store<f32>(dw + off, dwi);
    store<f32>(a + off, load<f32>(w + off) * rs);
    store<f32>(k1 + off, load<f32>(db + off) / n);
    store<f32>(k2 + off, rs * dwi / n);
  }
  // dx = a·(dy − k1 − (x − mean)·k2)
  for (let r = 0; r < rows; r++) {
    const off0 = <usize>(r * c) << 2;
    for (let i = 0; i < c4; i += 4) {
      const off = <usize>i << 2;
      const xc = f32x4.sub(v128.load(x + off0 + off), v128.load(mean + off));
      const inner = f32x4.sub(f32x4.sub(v128.load(dy + off0 + off), v128.load(k1 + off)), f32x4.mul(xc, v128.load(k2 + off)));
      v128.store(dx + off0 + off, f32x4.mul(v128.load(a + off), inner));
    }
    for (let i = c4; i < c; i++) {
      const off = <usize>i << 2;
      const xc = load<f32>(x + off0 + off) - load<f32>(mean + off);
      store<f32>(dx + off0 + off, load<f32>(a + off) * (load<f32>(dy + off0 + off) - load<f32>(k1 + off) - xc * load<f32>(k2 + off)));
    }
  }
}
