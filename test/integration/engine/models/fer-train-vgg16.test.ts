import { it } from 'vitest';
import { ferTrainTransfer } from './fer-train-helper';

it('fer train --model vgg16 --weights FILE.h5 --freeze 19 fine-tunes at 64×64 on wasm with the file\'s weights', async () => {
  await ferTrainTransfer('vgg16', 19, 'conv5_3', null);
});
