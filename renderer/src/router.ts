import { createRouter, createWebHashHistory, type RouteRecordRaw } from 'vue-router';
import { SECTIONS } from './sections';
import BatchSection from './sections/BatchSection.vue';
import EmptySection from './sections/EmptySection.vue';
import ExportSection from './sections/ExportSection.vue';
import LabelSection from './sections/label/LabelSection.vue';
import ReviewSection from './sections/ReviewSection.vue';
import TrainSection from './sections/TrainSection.vue';
import WorkspaceSection from './sections/WorkspaceSection.vue';

/** Sections that have their own screen; the others show what will appear there. */
const SCREENS: Record<string, RouteRecordRaw['component']> = {
  '/workspace': WorkspaceSection,
  '/label': LabelSection,
  '/train': TrainSection,
  '/review': ReviewSection,
  '/export': ExportSection,
  '/batch': BatchSection,
};

export function createAppRouter() {
  return createRouter({
    // Hash history: the same URLs work from app:// in Electron and from the browser-mode server.
    history: createWebHashHistory(),
    routes: [
      { path: '/', redirect: '/workspace' },
      ...SECTIONS.map((section) => ({
        path: section.path,
        name: section.name,
        component: SCREENS[section.path] ?? EmptySection,
        meta: { section },
      })),
    ],
  });
}
