cd /work/main
OFF="-Dobservability.access-log.enabled=false -Dobservability.metrics.enabled=false -Dobservability.tracing.enabled=false -Dadmin.enabled=false"
for r in 1 2; do
  for j in base new2; do
    OUT=/work/main/benchmarks/results/http-jdk17-inline-ab/$j-$r SERVERS=helloworld HELLO_JAR=/tmp/jars/$j.jar RUNS=1 HELLO_FLAGS="-Dserver.http.inline=true $OFF" benchmarks/http-load.sh > /dev/null 2>&1
    echo "$j-$r: $(grep -m1 '^| helloworld |' /work/main/benchmarks/results/http-jdk17-inline-ab/$j-$r/summary.md)"
  done
done
