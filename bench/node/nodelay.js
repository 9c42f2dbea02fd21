'use strict';
// Required first when BENCH_NODELAY=1: sets TCP_NODELAY on every socket
// electron-common-ipc opens or accepts in this process. The library leaves
// Nagle's algorithm on, which the bench reports as is and, with this, off.
const net = require('net');

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  this.once('connect', () => this.setNoDelay(true));
  return connect.apply(this, args);
};

// The broker calls createServer() without options, and removes every
// listener of its server once listening: so the option, not a listener.
const createServer = net.createServer;
net.createServer = function (options, ...rest) {
  if (typeof options === 'function' || options === undefined) {
    return createServer.call(this, { noDelay: true }, ...(options ? [options] : []), ...rest);
  }
  return createServer.call(this, { ...options, noDelay: true }, ...rest);
};
