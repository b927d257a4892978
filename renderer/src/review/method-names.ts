/** The explain methods as the Review section names them. */
import type { ExplainMethodName } from '../../../contract/index';

export const METHOD_NAMES: Record<ExplainMethodName, string> = {
  gradcam: 'Grad-CAM',
  'gradcam++': 'Grad-CAM++',
  layercam: 'LayerCAM',
  cam: 'CAM',
  scorecam: 'Score-CAM',
  'guided-backprop': 'Guided backpropagation',
  'guided-gradcam': 'Guided Grad-CAM',
};
