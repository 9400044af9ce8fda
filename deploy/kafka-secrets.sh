#!/usr/bin/env bash
# Makes what docker-compose.sasl.yml needs, in deploy/secrets/ (git-ignored): a CA of its own,
# the broker's key and certificate (for the names kafka and localhost) as a PKCS12 keystore,
# the password files the apache/kafka image reads, the broker's JAAS file with two SASL/PLAIN
# users (admin: the broker itself and its health check; rxsim: the services and tools), and
# rxsim.env with the services' password. New passwords and keys at every run.
#   bash deploy/kafka-secrets.sh            # then see deploy/README.md, "Kafka over SASL_SSL"
set -euo pipefail

out="$(cd "$(dirname "$0")" && pwd)/secrets"
mkdir -p "$out"
cd "$out"
rm -f ./*.pem ./*.key ./*.csr ./*.srl ./*.p12 ./*_creds ./*.conf ./*.properties ./*.env

password() { openssl rand -hex 24; }

# The CA: its key signs the broker's certificate and is needed again only to renew it.
openssl req -x509 -newkey rsa:3072 -sha256 -nodes -days 825 -subj "/CN=rxsim Kafka CA" \
    -keyout ca.key -out ca.pem 2>/dev/null

# The broker's certificate: the services reach it as kafka:9092, tools on the host as
# localhost:9094, and clients check the name (hostname verification is on in rxsim).
openssl req -newkey rsa:3072 -sha256 -nodes -subj "/CN=kafka" \
    -keyout broker.key -out broker.csr 2>/dev/null
printf 'subjectAltName=DNS:kafka,DNS:localhost\nextendedKeyUsage=serverAuth\n' > broker.ext
openssl x509 -req -sha256 -days 825 -in broker.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
    -extfile broker.ext -out broker.pem 2>/dev/null
rm -f broker.csr broker.ext ca.srl

# The image wants a keystore and two files holding its passwords (KAFKA_SSL_KEYSTORE_*,
# KAFKA_SSL_KEY_CREDENTIALS); in PKCS12 the key's password is the store's.
store_password="$(password)"
openssl pkcs12 -export -name kafka -in broker.pem -inkey broker.key -certfile ca.pem \
    -passout "pass:$store_password" -out kafka.keystore.p12
printf '%s' "$store_password" > keystore_creds
printf '%s' "$store_password" > key_creds
rm -f broker.key

admin_password="$(password)"
rxsim_password="$(password)"
cat > broker_jaas.conf <<EOF
KafkaServer {
    org.apache.kafka.common.security.plain.PlainLoginModule required
    username="admin"
    password="$admin_password"
    user_admin="$admin_password"
    user_rxsim="$rxsim_password";
};
EOF

# The broker's health check speaks SASL_SSL too.
cat > admin-client.properties <<EOF
security.protocol=SASL_SSL
sasl.mechanism=PLAIN
sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="$admin_password";
ssl.truststore.type=PEM
ssl.truststore.location=/etc/kafka/secrets/ca.pem
EOF

printf 'RXSIM_KAFKA_SASL_PASSWORD=%s\n' "$rxsim_password" > rxsim.env

# The image runs as its own user (uid 1000), not as you: the files it reads must be readable
# by others, the folder too. The CA's key is not (nothing in a container needs it). Keep this
# folder on your own machine.
chmod 600 ca.key
chmod 644 ca.pem broker.pem kafka.keystore.p12 keystore_creds key_creds broker_jaas.conf \
    admin-client.properties rxsim.env
echo "made $out: ca.pem (give it to clients), the broker's keystore, JAAS users admin and rxsim"
