import { packageBuild } from '../../tsup.base';

// the worker is its own entry so the loader can start it from dist/worker.{js,cjs}
export default packageBuild(['src/index.ts', 'src/node.ts', 'src/worker.ts'], { shims: true });
