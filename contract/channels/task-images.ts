/**
 * Choosing a task's images (contract/task-images.ts): set the choice, count what a choice would
 * match before saving it, and the folders, modalities and classes there are to choose from.
 */
import { z } from 'zod';
import { defineChannel } from '../define';
import { taskImageSelectionSchema } from '../task-images';
import { labelTaskSchema } from './labels';

const idSchema = z.number().int().positive();

export const labelsSetTaskImages = defineChannel({
  name: 'labels.setTaskImages',
  summary:
    'Choose the images a task uses: all, a rule (folders, modalities, classes of other tasks) or a list. Labels of images that drop out are kept, not used.',
  request: z.object({ taskId: idSchema, images: taskImageSelectionSchema }).strict(),
  reply: labelTaskSchema,
});

export const labelsCountTaskImages = defineChannel({
  name: 'labels.countTaskImages',
  summary: 'How many images a choice would give the task, and how many of its labelled images it would leave out.',
  request: z.object({ taskId: idSchema, images: taskImageSelectionSchema }).strict(),
  reply: z.object({
    matching: z.number().int().min(0),
    total: z.number().int().min(0),
    /** Images labelled in this task that the choice leaves out: their labels are kept but not used. */
    labeledLeftOut: z.number().int().min(0),
  }),
});

const facetSchema = z.object({ value: z.string(), images: z.number().int().min(0) });

export const labelsImageFacets = defineChannel({
  name: 'labels.imageFacets',
  summary: 'What a rule can name: the folders holding images, the modalities present, and the classes carried.',
  request: z.object({}).strict(),
  reply: z.object({
    /** Each folder that directly holds images, with how many it holds (subfolders not counted). */
    folders: z.array(facetSchema),
    modalities: z.array(facetSchema),
    /** Classes of every task with the number of images carrying each. */
    classes: z.array(z.object({ classId: idSchema, taskId: idSchema, images: z.number().int().min(0) })),
  }),
});
