# Plots of a bench/run-proof.sh run: gnuplot -e "dir='<run dir>'" bench/proof_plots.gnuplot
set terminal pngcairo size 900,540 font "sans,11"
set datafile separator "\t"
set key top left
set grid

set output dir."/throughput-latency.png"
set title "oncegate, national requests, open loop: delivered and latency against offered load"
set xlabel "offered load (requests/s)"
set ylabel "delivered (exchanges/s)"
set y2label "latency (ms)"
set y2tics
set ytics nomirror
set logscale y2
plot dir."/offered.tsv" using 2:3 skip 1 with linespoints lw 2 title "delivered/s", \
     "" using 2:4 skip 1 axes x1y2 with linespoints lw 2 title "p50 (ms)", \
     "" using 2:5 skip 1 axes x1y2 with linespoints lw 2 title "p99 (ms)", \
     25 axes x1y2 with lines dt 2 lc rgb "red" title "p99 target 25 ms"

reset
set terminal pngcairo size 900,540 font "sans,11"
set datafile separator "\t"
set output dir."/cpu-split.png"
set title "CPU per delivered exchange: the in-process ceiling's parts and everything else"
set style data histograms
set style histogram rowstacked
set style fill solid 0.8 border -1
set boxwidth 0.5
set ylabel "CPU microseconds per exchange"
set key outside right top
set grid ytics
plot dir."/cpu_split.tsv" using 2:xtic(1) title columnheader(2), \
     "" using 3 title columnheader(3), "" using 4 title columnheader(4), "" using 5 title columnheader(5)

if (system("test -s ".dir."/soak-rss.tsv && echo yes") eq "yes\n" || system("test -s ".dir."/soak-rss.tsv && echo yes") eq "yes") {
  reset
  set terminal pngcairo size 900,540 font "sans,11"
  set datafile separator "\t"
  set output dir."/soak-rss.png"
  set title "Resident memory of the gateway during the soak at 70 % of saturation"
  set xlabel "seconds"
  set ylabel "RSS (MiB)"
  set grid
  set yrange [0:*]
  plot dir."/soak-rss.tsv" using 1:($2/1024) with lines lw 2 title "RSS"
}
