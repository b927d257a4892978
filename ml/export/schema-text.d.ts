/** Vite (build and vitest) imports a file's text with `?raw`; the ONNX schema is read this way. */
declare module '*.proto?raw' {
  const text: string;
  export default text;
}
