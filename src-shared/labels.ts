/** FER2013's label order: the integer in the CSV `emotion` column is the index here. */
export const EMOTIONS = ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'] as const;
export type Emotion = (typeof EMOTIONS)[number];
export const NUM_CLASSES = EMOTIONS.length;

/** FER2013's `Usage` column values; the folder layout prefixes file names with the same words. */
export const SPLITS = ['Training', 'PublicTest', 'PrivateTest'] as const;
export type Split = (typeof SPLITS)[number];

export const IMAGE_SIZE = 48;
export const PIXELS_PER_IMAGE = IMAGE_SIZE * IMAGE_SIZE;

export function emotionIndex(name: string): number {
  return EMOTIONS.indexOf(name.toLowerCase() as Emotion);
}
