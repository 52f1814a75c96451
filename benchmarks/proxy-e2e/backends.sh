# Sourced by benchmarks/proxy-e2e/native-ab.sh and eng/native-order/profile.sh: the loopback nginx backend and the
# haproxy.cfg head they run hanet-proxyd on.

# start_nginx DIR PORT: nginx answering "hello from nginx" on 127.0.0.1:PORT, files and pid in DIR (DIR/nginx.pid).
start_nginx() {
  local dir=$1 port=$2
  mkdir -p "$dir/ng"
  cat > "$dir/nginx.conf" <<NGX
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/ng/error.log warn;
events { worker_connections 4000; }
http { access_log off; keepalive_requests 100000000;
  client_body_temp_path $dir/ng; proxy_temp_path $dir/ng; fastcgi_temp_path $dir/ng; uwsgi_temp_path $dir/ng; scgi_temp_path $dir/ng;
  server { listen 127.0.0.1:$port backlog=4096; location / { return 200 "hello from nginx\n"; } } }
NGX
  nginx -c "$dir/nginx.conf" -p "$dir/ng"
}

# stop_nginx DIR: stops the nginx start_nginx DIR started, if it did.
stop_nginx() {
  [[ -f $1/nginx.pid ]] && kill "$(cat "$1/nginx.pid")" 2>/dev/null || true
}

# haproxy_cfg FRONTEND_PORT NGINX_PORT [SERVER_OPTIONS]: the benchmark's global/defaults and one tcp frontend to nginx.
haproxy_cfg() {
  cat <<CFG
global
  nbthread 1
  maxconn 9900
defaults
  mode tcp
  timeout connect 5s
  timeout client 5m
  timeout server 5m
  maxconn 9900
frontend http
  bind 127.0.0.1:$1 backlog 4096
  default_backend nginx
backend nginx
  server n1 127.0.0.1:$2${3:+ $3}
CFG
}
