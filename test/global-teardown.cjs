// Jest's global teardown: removes the temporary folders the global setup made for this run, with
// the cache folder in one of them.
const fs = require('fs');
const path = require('path');

module.exports = () => {
  for (const created of (process.env.MESHFLIP_TEST_TMPDIRS_CREATED ?? '').split(path.delimiter).filter(Boolean)) {
    fs.rmSync(created, { recursive: true, force: true });
  }
};
