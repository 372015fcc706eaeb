// A child that breaks its protocol: one good message, then one with a wrong field, then it would run on forever.
process.send({ type: 'progress', done: 1, total: 2 });
process.send({ type: 'progress', done: 'half', total: 2 });
setInterval(() => {}, 1000);
