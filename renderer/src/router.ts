import type { Component } from 'vue';
import { createRouter, createWebHashHistory } from 'vue-router';
import { SECTIONS } from './sections';
import BatchSection from './sections/BatchSection.vue';
import ExportSection from './sections/ExportSection.vue';
import LabelSection from './sections/label/LabelSection.vue';
import ReviewSection from './sections/ReviewSection.vue';
import TrainSection from './sections/TrainSection.vue';
import WorkspaceSection from './sections/WorkspaceSection.vue';

/** Each section's screen; every entry of SECTIONS has one. */
const SCREENS: Record<string, Component> = {
  '/workspace': WorkspaceSection,
  '/label': LabelSection,
  '/train': TrainSection,
  '/review': ReviewSection,
  '/export': ExportSection,
  '/batch': BatchSection,
};

function screenOf(path: string): Component {
  const screen = SCREENS[path];
  if (!screen) throw new Error(`The section ${path} has no screen in router.ts.`);
  return screen;
}

export function createAppRouter() {
  return createRouter({
    // Hash history: the same URLs work from app:// in Electron and from the browser-mode server.
    history: createWebHashHistory(),
    routes: [
      { path: '/', redirect: '/workspace' },
      ...SECTIONS.map((section) => ({
        path: section.path,
        name: section.name,
        component: screenOf(section.path),
        meta: { section },
      })),
    ],
  });
}
