/** Linear lr scaling rule `lr = blr · batch / base` (FCMAE / ConvNeXt-V2 fine-tune ConvNeXt V2 FCMAE; official fcmae.py, EfficientNetV2 EfficientNetV2 paper; official effnetv2_model.py). */
export function scaleLr(baseLr: number, batchSize: number, baseBatch = 256): number {
  if (!Number.isFinite(baseLr) || baseLr < 0) throw new Error(`scaleLr: baseLr must be >= 0, got ${baseLr}`);
  if (!Number.isInteger(batchSize) || batchSize <= 0) throw new Error(`scaleLr: batchSize must be a positive integer, got ${batchSize}`);
  if (!(baseBatch > 0)) throw new Error(`scaleLr: baseBatch must be > 0, got ${baseBatch}`);
  return (baseLr * batchSize) / baseBatch;
}
