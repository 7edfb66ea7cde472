import { packageBuild } from '../../tsup.base';

// shims: import.meta.url in the CommonJS build (the addon is found relative to the module)
export default packageBuild(['src/index.ts'], { shims: true });
