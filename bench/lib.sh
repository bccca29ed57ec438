# Shared helpers for the benchmarks (sourced).
now_ns() { date +%s%N; }
# ms between two now_ns readings
ms_between() { echo $(( ($2 - $1) / 1000000 )); }
# median of numbers on stdin
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "inf"; else printf "%.2f", a / b }'; }
# verdict RATIO OP BAR -> "meets" / "MISSES"
verdict() { awk -v r="$1" -v op="$2" -v bar="$3" 'BEGIN { ok = (op == "<=") ? (r <= bar) : (r >= bar); print ok ? "meets the bar" : "MISSES the bar" }'; }
