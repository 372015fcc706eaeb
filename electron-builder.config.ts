/**
 * Installers, built by `npm run dist` (scripts/dist.mjs) with electron-builder: AppImage and deb on Linux, an
 * NSIS installer on Windows, a dmg on macOS, each on its own platform (the Electron build of better-sqlite3 in
 * native/ is made for the machine that runs the install). electron-builder is not a devDependency (it adds
 * about 280 packages to every clean install and CI cannot download Electron anyway); dist says how to get it.
 * test/unit/packaging.test.ts checks the paths below against the repository and the build config.
 */
const config = {
  appId: 'org.fer-workbench.desktop',
  productName: 'FER Workbench',
  directories: { output: 'dist', buildResources: 'resources' },
  // 1024 px, made from resources/icon.svg: macOS wants at least 512 px, Windows 256.
  icon: 'resources/icon-1024.png',
  files: [
    'package.json',
    // electron-vite's output: main + the trainer and evaluation worker bundles, the preload, the renderer.
    'out/**/*',
    '!out/**/*.map',
    // The window's icon (src-main/electron/main.ts).
    'resources/icon.png',
    // better-sqlite3 for Electron's ABI (scripts/electron-native.mjs); the dependencies come on their own.
    'native/better-sqlite3-*/better_sqlite3.node',
    // better-sqlite3's sources and Node-ABI objects are not needed at run time.
    '!node_modules/better-sqlite3/{deps,src,build/Release/obj,build/Release/obj.target,build/Release/.deps,build/deps}/**',
  ],
  asarUnpack: [
    // Native code cannot be loaded from inside the archive: every addon, and sharp's libvips beside its addon.
    '**/*.node',
    'node_modules/@img/**',
    // Read as plain files by tfjs's wasm loader and its worker threads (src-main/engine/wasm-threads.ts).
    'node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm',
    'node_modules/@tensorflow/tfjs-backend-wasm/wasm-out/**',
  ],
  // electron-builder would otherwise rebuild node_modules' better-sqlite3 in place for Electron, breaking the
  // CLI, the bridge and the tests, which need the Node build; the Electron build lives in native/ instead.
  npmRebuild: false,
  linux: { target: ['AppImage', 'deb'], category: 'Science', maintainer: 'FER Workbench <fer-workbench@users.noreply.github.com>' },
  win: { target: ['nsis'] },
  nsis: { oneClick: false, allowToChangeInstallationDirectory: true },
  mac: { target: ['dmg'], category: 'public.app-category.education' },
};

export default config;
