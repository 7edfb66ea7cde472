// Strided row copies for splits and concatenations, compiled by AssemblyScript with an IMPORTED memory: pointers are
// byte offsets on the tfjs heap. Each row is one memory.copy (bulk memory), so short rows (a few channels of an NHWC
// map) cost a loop iteration, not a JavaScript call. No data segments.

/** Copies `rows` rows of `width` bytes from src (rows `srcStride` bytes apart) to dst (rows `dstStride` bytes apart). */
export function copyRows(src: usize, srcStride: usize, dst: usize, dstStride: usize, rows: i32, width: usize): void {
  for (let r = 0; r < rows; r++) {
    memory.copy(dst, src, width);
    src += srcStride;
    dst += dstStride;
  }
}
