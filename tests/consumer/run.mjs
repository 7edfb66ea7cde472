// Consumer smoke test: packs every publishable workspace package, installs the tarballs with npm into a fresh
// project outside the workspace, and there runs an ESM script, a CJS script and `tsc --noEmit` under node16 and
// bundler resolution. Each builds convnext_atto from the registry, loads an in-repo fixture's timm weights and checks
// the logits against PyTorch's. Needs the packages built (turbo runs `build` of the dependencies first) and the npm
// registry for the tfjs peers.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const started = Date.now();
const work = mkdtempSync(join(tmpdir(), 'nextnets-consumer-'));
const log = (line) => console.log(`[consumer ${((Date.now() - started) / 1000).toFixed(0)}s] ${line}`);
const run = (cmd, args, cwd) =>
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' } });

function publishable() {
  const dirs = [];
  for (const group of ['packages', 'apps']) {
    for (const name of readdirSync(join(root, group))) {
      const dir = join(root, group, name);
      let manifest;
      try {
        manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      } catch {
        continue;
      }
      if (!manifest.private) dirs.push(dir);
    }
  }
  return dirs;
}

try {
  const tarballs = join(work, 'tarballs');
  for (const dir of publishable()) run('pnpm', ['pack', '--pack-destination', tarballs], dir);
  const packed = readdirSync(tarballs).map((f) => join(tarballs, f));
  log(`packed ${packed.length} packages`);

  const project = join(work, 'project');
  cpSync(join(here, 'consumer'), project, { recursive: true });
  cpSync(join(root, 'packages', 'test-fixtures', 'small', 'convnext_tiny_cfg'), join(project, 'fixture'), { recursive: true });
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }, null, 2));
  const typescript = JSON.parse(readFileSync(join(root, 'node_modules', 'typescript', 'package.json'), 'utf8')).version;
  // Optional dependencies (onnxruntime-node, ~300 MB, and the tfjs-node peers) are not what this checks.
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', '--omit=optional', ...packed, `typescript@${typescript}`], project);
  log('installed the tarballs with npm');

  // npm ran @nextnets/backend-native's install script: the addon is built where a compiler and OpenBLAS exist
  log(run('node', ['--input-type=module', '-e', "import('@nextnets/backend-native').then((m) => console.log(m.nativeGemmStatus()))"], project).trim());
  log(run('node', ['check.mjs'], project).trim());
  log(run('node', ['check.cjs'], project).trim());
  for (const config of ['tsconfig.node16.json', 'tsconfig.bundler.json']) {
    run(join(project, 'node_modules', '.bin', 'tsc'), ['-p', config], project);
    log(`tsc --noEmit -p ${config}: no errors`);
  }
  // tfjs-core is a peer everywhere: npm must have installed exactly one copy (two would mean two engines).
  const copies = run('find', ['node_modules', '-path', '*/@tensorflow/tfjs-core/package.json'], project).trim().split('\n');
  if (copies.length !== 1) throw new Error(`expected one @tensorflow/tfjs-core, npm installed ${copies.length}: ${copies.join(', ')}`);
  log('one @tensorflow/tfjs-core shared by every package');
  console.log('1 passed, 0 failed');
} catch (error) {
  const out = [error.stdout, error.stderr].filter(Boolean).join('\n').trim();
  console.error(`consumer smoke test failed: ${error.message.split('\n')[0]}${out ? `\n${out}` : ''}`);
  console.log('0 passed, 1 failed');
  process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
