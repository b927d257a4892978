/**
 * Knowledge distillation (Hinton, Vinyals & Dean 2015): the student matches the teacher's
 * softened class distribution as well as the labels,
 *   α · T² · KL(softmax(teacher/T) ‖ softmax(student/T)) + (1 − α) · hard(labels, student),
 * with KL averaged over the batch (torch's reduction='batchmean'). T² keeps the soft term's
 * gradients on the scale of the hard term's as T changes.
 */
import * as tf from '@tensorflow/tfjs';
import { classLogits } from './class-losses';
import type { LossFunction } from './registry';

export interface DistillationSettings {
  temperature: number;
  alpha: number;
}

/** α·T²·KL(teacher ‖ student) at temperature T, batch-mean: the soft-target term alone. */
export function softTargetLoss(teacherLogits: tf.Tensor, studentLogits: tf.Tensor, temperature: number): tf.Scalar {
  return tf.tidy(() => {
    const teacherLog = tf.logSoftmax(classLogits(teacherLogits).div(temperature));
    const studentLog = tf.logSoftmax(classLogits(studentLogits).div(temperature));
    const rows = teacherLog.shape[0];
    const kl = tf.exp(teacherLog).mul(teacherLog.sub(studentLog)).sum().div(rows);
    return kl.mul(temperature * temperature) as tf.Scalar;
  });
}

/** The run's loss with the teacher's outputs for this batch mixed in (teacher logits are constants). */
export function distillationLoss(
  hard: LossFunction,
  teacherLogits: tf.Tensor,
  settings: DistillationSettings,
): LossFunction {
  const { temperature, alpha } = settings;
  return (labels, studentLogits) =>
    tf.tidy(() => {
      const soft = softTargetLoss(teacherLogits, studentLogits, temperature);
      return soft.mul(alpha).add(hard(labels, studentLogits).mul(1 - alpha)) as tf.Scalar;
    });
}
