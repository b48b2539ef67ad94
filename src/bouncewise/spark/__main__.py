"""Entry script: ``python -m bouncewise.spark parse ...``, or for spark-submit, which takes a
file: ``spark-submit --master yarn "$(bouncewise spark script)" parse INPUT --output DIR``."""

from bouncewise.cli.spark import spark

if __name__ == "__main__":
    spark(prog_name="bouncewise spark")
