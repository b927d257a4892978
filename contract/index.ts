/**
 * The contract: every channel and event the UI, the CLI and the services speak, declared once.
 * Hosts validate against these schemas; the typed client is inferred from them.
 */
import type { z } from 'zod';
import { appInfo, appOpenExternal } from './channels/app';
import { workspaceAddDemoData } from './channels/demo';
import { batchMerge, batchPredict } from './channels/batch';
import { batchCancel, batchJobEvent, batchJobs, batchResults, batchResume, batchStart } from './channels/batch-jobs';
import { batchExplain, batchFile, batchFrame, batchPrediction } from './channels/batch-view';
import { batchGallery, batchGalleryEnrol, batchGalleryPictures, batchGalleryRemove } from './channels/batch-gallery';
import {
  imagingBrowse,
  imagingFrame,
  imagingGet,
  imagingImport,
  imagingList,
  imagingRelink,
  imagingThumbnails,
  imagingUpload,
} from './channels/imaging';
import { engineBenchmark, engineInfo, engineRestart, engineStateEvent, engineStatus } from './channels/engine';
import { imagingRemove } from './channels/imaging-remove';
import {
  workspaceChangedEvent,
  workspaceClose,
  workspaceCurrent,
  workspaceOpen,
  workspaceRecent,
} from './channels/workspace';
import {
  labelsAddClass,
  labelsAssign,
  labelsClassLoss,
  labelsCreateTask,
  labelsDeleteClass,
  labelsDeleteTask,
  labelsGet,
  labelsRenameTask,
  labelsSetTaskFrames,
  labelsReorderClasses,
  labelsSave,
  labelsSummary,
  labelsTaskLoss,
  labelsTasks,
  labelsUpdateClass,
} from './channels/labels';
import {
  labelsAddPair,
  labelsAssignSplits,
  labelsDeletePairs,
  labelsExport,
  labelsGeneratePairs,
  labelsImport,
  labelsLockSplits,
  labelsPairs,
  labelsSplitCounts,
} from './channels/labels-data';
import { labelsCountTaskImages, labelsImageFacets, labelsSetTaskImages } from './channels/task-images';
import {
  trainingCancel,
  trainingChangedEvent,
  trainingDefaults,
  trainingDelete,
  trainingEvaluate,
  trainingProgressEvent,
  trainingResume,
  trainingRun,
  trainingRuns,
  trainingStart,
  trainingWatch,
} from './channels/runs';
import {
  modelsComparePair,
  modelsEnrol,
  modelsGallery,
  modelsProposeBoxes,
  modelsQuery,
  modelsRemoveReferences,
} from './channels/models';
import { modelsLabelNext, modelsProposeMask, modelsProposeTags } from './channels/prelabel';
import {
  reviewApplyCorrection,
  reviewCalibration,
  reviewExport,
  reviewQueue,
  reviewRecord,
  reviewSettings,
  reviewVerdicts,
} from './channels/review';
import { reviewExplain } from './channels/review-explain';
import {
  reviewMasksApplyCorrection,
  reviewMasksImage,
  reviewMasksQueue,
  reviewMasksRecord,
  reviewMasksVerdicts,
} from './channels/review-masks';
import { trainingExport } from './channels/export';
import { explainWrite } from './channels/explain-write';
import { explainFeatureMaps, reviewFeatureMaps } from './channels/feature-maps';
import { explainBoxes, explainPair, explainReviewItems } from './channels/explain-review';
import {
  reviewBoxesApplyCorrection,
  reviewBoxesRecordBoxes,
  reviewBoxesRecordPair,
  reviewBoxesVerdicts,
} from './channels/review-boxes-pairs';
import { trainingCompareExports, trainingExports } from './channels/export-compare';
import { registry } from './define';

export const channels = registry([
  appInfo,
  appOpenExternal,
  engineInfo,
  engineStatus,
  engineRestart,
  engineBenchmark,
  workspaceOpen,
  workspaceCurrent,
  workspaceClose,
  workspaceRecent,
  workspaceAddDemoData,
  imagingImport,
  imagingUpload,
  imagingList,
  imagingGet,
  imagingFrame,
  imagingThumbnails,
  imagingRelink,
  imagingRemove,
  imagingBrowse,
  labelsTasks,
  labelsCreateTask,
  labelsRenameTask,
  labelsSetTaskFrames,
  labelsTaskLoss,
  labelsDeleteTask,
  labelsAddClass,
  labelsUpdateClass,
  labelsReorderClasses,
  labelsClassLoss,
  labelsDeleteClass,
  labelsGet,
  labelsSave,
  labelsAssign,
  labelsSummary,
  labelsPairs,
  labelsAddPair,
  labelsDeletePairs,
  labelsGeneratePairs,
  labelsAssignSplits,
  labelsLockSplits,
  labelsSplitCounts,
  labelsSetTaskImages,
  labelsCountTaskImages,
  labelsImageFacets,
  labelsImport,
  labelsExport,
  trainingDefaults,
  trainingStart,
  trainingResume,
  trainingCancel,
  trainingRuns,
  trainingRun,
  trainingWatch,
  trainingDelete,
  trainingEvaluate,
  trainingExport,
  trainingExports,
  trainingCompareExports,
  modelsProposeBoxes,
  modelsComparePair,
  modelsGallery,
  modelsEnrol,
  modelsRemoveReferences,
  modelsQuery,
  modelsProposeTags,
  modelsProposeMask,
  modelsLabelNext,
  reviewSettings,
  reviewQueue,
  reviewRecord,
  reviewApplyCorrection,
  reviewVerdicts,
  reviewExport,
  reviewCalibration,
  reviewExplain,
  reviewMasksQueue,
  reviewMasksImage,
  reviewMasksRecord,
  reviewMasksApplyCorrection,
  reviewMasksVerdicts,
  reviewBoxesRecordBoxes,
  reviewBoxesRecordPair,
  reviewBoxesApplyCorrection,
  reviewBoxesVerdicts,
  reviewFeatureMaps,
  batchPredict,
  batchMerge,
  explainWrite,
  explainFeatureMaps,
  explainReviewItems,
  explainBoxes,
  explainPair,
  batchStart,
  batchJobs,
  batchCancel,
  batchResume,
  batchResults,
  batchFile,
  batchFrame,
  batchExplain,
  batchPrediction,
  batchGalleryEnrol,
  batchGallery,
  batchGalleryRemove,
  batchGalleryPictures,
]);

export const events = registry([
  engineStateEvent,
  workspaceChangedEvent,
  trainingProgressEvent,
  trainingChangedEvent,
  batchJobEvent,
]);

export type Channels = typeof channels;
export type ChannelName = keyof Channels;
export type EventName = keyof typeof events;

/** What a caller passes (defaults not yet applied). */
export type RequestOf<C extends ChannelName> = z.input<Channels[C]['request']>;
/** What a handler receives (validated, defaults applied). */
export type ParsedRequestOf<C extends ChannelName> = z.output<Channels[C]['request']>;
export type ReplyOf<C extends ChannelName> = z.output<Channels[C]['reply']>;
export type ProgressOf<C extends ChannelName> = Channels[C]['progress'] extends z.ZodType
  ? z.output<Channels[C]['progress']>
  : never;
export type EventPayloadOf<E extends EventName> = z.output<(typeof events)[E]['payload']>;

export function isChannelName(name: unknown): name is ChannelName {
  return typeof name === 'string' && Object.hasOwn(channels, name);
}

export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && Object.hasOwn(events, name);
}

export * from './errors';
export * from './common';
export * from './channels/app';
export * from './channels/engine';
export * from './channels/workspace';
export * from './channels/demo';
export * from './channels/imaging';
export * from './channels/imaging-remove';
export * from './training/dataset';
export * from './training/config';
export * from './training/compression';
export * from './training/architectures';
export * from './training/losses';
export * from './training/run-record';
export * from './engine/training-methods';
export * from './engine/prepared-frames';
export * from './engine/explain';
export * from './engine/feature-maps';
export * from './channels/explain-write';
export * from './channels/feature-maps';
export * from './channels/explain-review';
export * from './tasks';
export * from './channels/labels';
export * from './channels/labels-data';
export * from './task-images';
export * from './channels/task-images';
export * from './training/reports';
export * from './training/verification';
export * from './training/evaluation-file';
export * from './channels/runs';
export * from './channels/models';
export * from './channels/prelabel';
export * from './channels/review';
export * from './channels/review-explain';
export * from './channels/review-masks';
export * from './channels/review-boxes-pairs';
export * from './channels/batch';
export * from './channels/batch-jobs';
export * from './channels/batch-view';
export * from './channels/batch-gallery';
export * from './channels/export';
export * from './channels/export-compare';
