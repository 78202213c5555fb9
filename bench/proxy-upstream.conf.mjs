// nginx configurations for the proxy benchmark: the upstream (a tiny fixed answer on several ports)
// and nginx as the reference proxy (1 worker, keep-alive to the upstream). Exported as functions of
// the ports and a scratch directory.
export function upstreamConf(dir, ports) {
  return `
worker_processes 1;
daemon off;
pid ${dir}/upstream.pid;
error_log ${dir}/upstream-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  server {
${ports.map((p) => `    listen 127.0.0.1:${p} reuseport;`).join("\n")}
    location / { default_type text/plain; return 200 "reviews: a tiny answer of about sixty-four bytes for the benchmark\\n"; }
  }
}
`;
}

export function proxyConf(dir, listen, upstreamPort) {
  return `
worker_processes 1;
daemon off;
pid ${dir}/proxy.pid;
error_log ${dir}/proxy-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  upstream reviews { server 127.0.0.1:${upstreamPort}; keepalive 128; keepalive_requests 1000000; }
  server {
    listen 127.0.0.1:${listen};
    location / {
      proxy_pass http://reviews;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
    }
  }
}
`;
}
