# One Trireme node. redis-tools brings redis-cli (7.0 on Debian bookworm) for the healthcheck
# and the cluster-init service of docker-compose.yml.
FROM python:3.11-slim-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends redis-tools \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY node ./node
COPY cluster ./cluster
COPY bus ./bus
RUN pip install --no-cache-dir .
VOLUME /data
EXPOSE 7000 17000
ENTRYPOINT ["trireme-node"]
