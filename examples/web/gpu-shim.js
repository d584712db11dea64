// gpu.js's browser build is UMD (a global GPU); the library's gpu-backend bundle imports "gpu.js".
export default globalThis.GPU;
