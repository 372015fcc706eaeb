// A child that fails hard before answering: its last words go to stderr, then it exits with code 7.
process.stderr.write('loading the checkpoint\n');
process.stderr.write('fatal: the disk is on fire\n');
process.exit(7);
