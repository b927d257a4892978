/// <reference types="vite/client" />
import type { LoupeApi } from '../../contract/client';

declare global {
  interface Window {
    /** Provided by the Electron preload; absent in browser mode, where the renderer connects itself. */
    loupe?: LoupeApi;
  }
}

declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent<object, object, unknown>;
  export default component;
}
