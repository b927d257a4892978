/** Vite (build and vitest) imports a file's text with `?raw`: the TF.js bundle's page and scripts are read this way. */
declare module '*.js?raw' {
  const text: string;
  export default text;
}
declare module '*.html?raw' {
  const text: string;
  export default text;
}
