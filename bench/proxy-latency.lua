-- wrk script for bench/proxy.mjs: prints the latency percentiles beyond `--latency`'s 99 %, which the tail at
-- 8 connections needs (bench/proxy-results.md, "Where the tail at 8 connections comes from"). In microseconds,
-- one line, parsed by bench/proxy-stats.mjs parseWrk.
done = function(summary, latency, requests)
  io.write(string.format("Latency tail: p99.9 %dus max %dus\n", latency:percentile(99.9), latency.max))
end
