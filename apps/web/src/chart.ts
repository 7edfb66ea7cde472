/** A minimal line chart of the training loss on a canvas. */
export function drawLossCurve(canvas: HTMLCanvasElement, losses: number[], totalSteps: number): void {
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const { width, height } = canvas;
  ctx.clearRect(0, 0, width, height);
  if (losses.length === 0) return;
  const max = Math.max(...losses);
  const pad = 24;
  const x = (i: number) => pad + (i / Math.max(1, totalSteps - 1)) * (width - 2 * pad);
  const y = (v: number) => height - pad - (v / (max || 1)) * (height - 2 * pad);
  ctx.strokeStyle = '#d0d7de';
  ctx.beginPath();
  ctx.moveTo(pad, pad);
  ctx.lineTo(pad, height - pad);
  ctx.lineTo(width - pad, height - pad);
  ctx.stroke();
  ctx.fillStyle = '#57606a';
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillText(`loss ${max.toFixed(3)}`, pad + 4, pad - 6);
  ctx.fillText(`step ${losses.length}/${totalSteps}: ${losses[losses.length - 1].toFixed(4)}`, width - 190, pad - 6);
  ctx.strokeStyle = '#0969da';
  ctx.lineWidth = 2;
  ctx.beginPath();
  losses.forEach((v, i) => (i === 0 ? ctx.moveTo(x(i), y(v)) : ctx.lineTo(x(i), y(v))));
  ctx.stroke();
}
