'use strict';
// The compiled addon (node-gyp rebuild, run by npm when the package is installed).
module.exports = require('./build/Release/shm_view.node');
