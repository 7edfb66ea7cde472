import { describe, expect, it } from 'vitest';
import { DownloadBar, formatBytes, formatProgress } from '../src/cli/download-bar';

describe('download progress', () => {
  it('formats bytes, the bar and the speed', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(109_048)).toBe('109.0 kB');
    expect(formatBytes(25_600_000)).toBe('25.6 MB');
    expect(formatProgress(12_800_000, 25_600_000, 2, 10)).toBe('[#####-----] 12.8 MB / 25.6 MB  6.4 MB/s');
    expect(formatProgress(0, 100, 0, 4)).toBe('[----] 0 B / 100 B  -');
  });

  it('draws on a terminal and ends with one summary line', () => {
    let text = '';
    let clock = 0;
    const out = { isTTY: true, write: (s: string) => ((text += s), true) } as unknown as NodeJS.WriteStream;
    const bar = new DownloadBar(out, () => clock);
    bar.update({ file: 'timm/x@main/model.safetensors', loaded: 0, total: 2_000_000 });
    clock = 500;
    bar.update({ file: 'timm/x@main/model.safetensors', loaded: 1_000_000, total: 2_000_000 });
    clock = 1000;
    bar.update({ file: 'timm/x@main/model.safetensors', loaded: 2_000_000, total: 2_000_000 });
    bar.finish();
    expect(text).toContain('\rtimm/x@main/model.safetensors [############------------] 1.0 MB / 2.0 MB  2.0 MB/s');
    expect(text.endsWith('downloaded timm/x@main/model.safetensors: 2.0 MB in 1.0 s, 2.0 MB/s\n')).toBe(true);
  });
});
