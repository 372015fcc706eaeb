import * as tf from '@tensorflow/tfjs';

const EPS = 1e-7;

/**
 * Mean categorical cross-entropy from softmax probabilities and integer labels, optionally class-weighted.
 * Weighting inside the loss (as Keras' class_weight does: mean of w[y]·CE) avoids tfjs' classWeight path,
 * which reads the labels back to the CPU on every batch.
 */
export function crossEntropy(probs: tf.Tensor2D, labels: tf.Tensor1D, classWeights: tf.Tensor1D | null): tf.Scalar {
  return tf.tidy(() => {
    const depth = probs.shape[1];
    const oneHot = tf.oneHot(labels, depth).toFloat();
    const perSample = oneHot.mul(probs.clipByValue(EPS, 1 - EPS).log()).sum(1).neg();
    if (!classWeights) return perSample.mean() as tf.Scalar;
    const w = oneHot.mul(classWeights.reshape([1, depth])).sum(1);
    return perSample.mul(w).mean() as tf.Scalar;
  });
}

/** Count of rows whose argmax equals the label. */
export function correctCount(probs: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => probs.argMax(1).equal(labels).toFloat().sum() as tf.Scalar);
}

/**
 * The same loss as a Keras-style (yTrue one-hot, yPred probs) function for model.compile: model.trainOnBatch
 * runs the graph in training mode (batch-norm batch statistics, dropout), which model.apply does not.
 */
export function makeLoss(classWeights: tf.Tensor1D | null): (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor {
  return (yTrue, yPred) =>
    tf.tidy(() => {
      const perSample = yTrue.mul(yPred.clipByValue(EPS, 1 - EPS).log()).sum(-1).neg();
      if (!classWeights) return perSample.mean();
      return perSample.mul(yTrue.mul(classWeights.reshape([1, -1])).sum(-1)).mean();
    });
}
