/**
 * A heap (ArrayBuffer) laid out for one call of each convolution kernel on the addon's ISA builds: x, w, bias and dy
 * filled with deterministic values, out, dx and dW empty; `sizes` = [x, w, bias, dy/out] in floats. Returns each
 * operand's byte offset and view.
 */
export function heapOperands(sizes: number[]) {
  const heap = new ArrayBuffer(4 * (16 + 2 * sizes[0] + 2 * sizes[1] + sizes[2] + 2 * sizes[3]));
  let next = 64;
  const alloc = (n: number, fill: boolean): [number, Float32Array] => {
    const offset = next;
    next += 4 * n;
    const view = new Float32Array(heap, offset, n);
    if (fill) for (let i = 0; i < n; i++) view[i] = Math.sin(offset + 7.3 * i);
    return [offset, view];
  };
  const [xp, x] = alloc(sizes[0], true);
  const [wp, w] = alloc(sizes[1], true);
  const [bp, bias] = alloc(sizes[2], true);
  const [dyp, dy] = alloc(sizes[3], true);
  const [op, out] = alloc(sizes[3], false);
  const [dxp, dx] = alloc(sizes[0], false);
  const [dwp, dW] = alloc(sizes[1], false);
  return { heap, xp, x, wp, w, bp, bias, dyp, dy, op, out, dxp, dx, dwp, dW };
}
