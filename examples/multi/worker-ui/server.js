// A tiny HTTP server for the worker-ui example image.
require("http").createServer((req, res) => res.end("worker-ui ok\n")).listen(3000);
