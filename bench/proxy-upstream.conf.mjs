// nginx configurations for the proxy benchmark: the upstream (a tiny fixed answer on several ports),
// nginx as one plaintext proxy hop (1 worker, keep-alive to the upstream), and nginx as the like-for-like
// reference: two hops in one worker with mutual TLS between them. Exported as functions of the ports and a
// scratch directory.
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

/**
 * nginx as two proxy hops in one worker, like unimesh's default mode (the caller's outbound listener and
 * the destination's inbound listener in one process): hop 1 listens in plaintext on `listen` and proxies
 * over TLS to hop 2 on `hop2Port` with a client certificate (`proxy_ssl_certificate`), verifying the
 * server's certificate and name; hop 2 requires and verifies the client certificate
 * (`ssl_verify_client on`) and proxies to the upstream. Keep-alive everywhere: the client side, both
 * upstream blocks (`keepalive`), and TLS session reuse between the hops (`proxy_ssl_session_reuse on`,
 * hop 2's session cache). `certs`: file paths { ca, serverCert, serverKey, clientCert, clientKey }.
 */
export function twoHopConf(dir, listen, hop2Port, upstreamPort, certs) {
  return `
worker_processes 1;
daemon off;
pid ${dir}/proxy.pid;
error_log ${dir}/proxy-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  upstream hop2 { server 127.0.0.1:${hop2Port}; keepalive 128; keepalive_requests 1000000; keepalive_timeout 60s; }
  upstream app { server 127.0.0.1:${upstreamPort}; keepalive 128; keepalive_requests 1000000; keepalive_timeout 60s; }
  server {
    listen 127.0.0.1:${listen};
    location / {
      proxy_pass https://hop2;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_ssl_certificate ${certs.clientCert};
      proxy_ssl_certificate_key ${certs.clientKey};
      proxy_ssl_trusted_certificate ${certs.ca};
      proxy_ssl_verify on;
      proxy_ssl_name reviews.bookinfo;
      proxy_ssl_session_reuse on;
      proxy_ssl_protocols TLSv1.2 TLSv1.3;
    }
  }
  server {
    listen 127.0.0.1:${hop2Port} ssl;
    ssl_certificate ${certs.serverCert};
    ssl_certificate_key ${certs.serverKey};
    ssl_client_certificate ${certs.ca};
    ssl_verify_client on;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_cache shared:bench:1m;
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
    }
  }
}
`;
}
