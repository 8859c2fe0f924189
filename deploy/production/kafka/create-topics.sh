#!/bin/sh
# Creates the contract's topics on the production Kafka, or checks the existing ones, from the
# configuration (partitions, replication factor, broker timestamps on raw-logs and product-config,
# compaction of product-config, min.insync.replicas one below the replication factor). It runs
# `channel topics`, the code the local stack creates its topics with, so the two never differ.
#
#   deploy/production/kafka/create-topics.sh [CONFIG]       (default: config/production/channel.properties)
#
# The Kafka password comes from CHANNEL_KAFKA_SASL_PASSWORD (or file:PATH in it), never an argument.
# Exit 0: every topic as configured; 4: an existing topic differs (each difference printed);
# 1: Kafka could not be reached.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
config=${1:-${CHANNEL_CONFIG:-$here/../../../config/production/channel.properties}}
if [ -x "$here/../../../channel" ]; then
  exec "$here/../../../channel" --config "$config" topics
fi
exec java -jar "${CHANNEL_CLI_JAR:-/opt/channel-analytics/channel-cli.jar}" --config "$config" topics
