#!/usr/bin/env node
// Builds native/*.c into build/nextnets_native.node when a C compiler, Node's node_api.h and OpenBLAS are
// present; otherwise prints one line and exits 0 (nextnets then keeps its wasm kernels). Runs at install and build.
// NEXTNETS_NATIVE=0 skips it. The library is linked by path (libopenblas.so.0), so no -dev package is needed.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const output = join(root, 'build', 'nextnets_native.node');

function skip(reason) {
  console.log(`@nextnets/backend-native: not built (${reason}); nextnets uses its wasm kernels`);
  process.exit(0);
}

if (process.env.NEXTNETS_NATIVE === '0') skip('NEXTNETS_NATIVE=0');
if (process.platform !== 'linux') skip(`platform ${process.platform}: only Linux builds are supported so far`);

const nodeApiDirs = [join(dirname(process.execPath), '..', 'include', 'node'), '/usr/include/node', '/usr/local/include/node'];
const nodeApi = nodeApiDirs.find((dir) => existsSync(join(dir, 'node_api.h')));
if (!nodeApi) skip(`no node_api.h in ${nodeApiDirs.join(', ')}`);

const libDirs = [process.env.NEXTNETS_OPENBLAS_DIR, `/usr/lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`, '/usr/lib64', '/usr/lib', '/usr/local/lib'];
const openblas = libDirs.filter(Boolean).map((dir) => join(dir, 'libopenblas.so.0')).find((path) => existsSync(path));
if (!openblas) skip('no libopenblas.so.0 (Debian: apt install libopenblas0-pthread)');

const compiler = process.env.CC ?? 'cc';
const sources = readdirSync(join(root, 'native')).filter((name) => name.endsWith('.c')).sort().map((name) => join(root, 'native', name));
const temp = `${output}.${process.pid}.tmp`;
mkdirSync(dirname(output), { recursive: true });
try {
  execFileSync(compiler, ['-O3', '-std=c11', '-ffp-contract=fast', '-shared', '-fPIC', '-Wall', `-I${nodeApi}`, ...sources, '-o', temp, openblas, `-Wl,-rpath,${dirname(openblas)}`], { stdio: ['ignore', 'ignore', 'pipe'] });
} catch (error) {
  rmSync(temp, { force: true });
  const detail = error.code === 'ENOENT' ? `no C compiler '${compiler}'` : `${compiler} failed: ${String(error.stderr ?? error.message).trim().split('\n')[0]}`;
  skip(detail);
}
renameSync(temp, output);
console.log(`@nextnets/backend-native: built ${output} (OpenBLAS ${openblas})`);
