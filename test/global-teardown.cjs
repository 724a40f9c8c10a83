// Jest's global teardown: removes the cache folder the global setup made for this run.
const fs = require('fs');

module.exports = () => {
  const created = process.env.MESHFLIP_TEST_CACHE_CREATED;
  if (created !== undefined) {
    fs.rmSync(created, { recursive: true, force: true });
  }
};
