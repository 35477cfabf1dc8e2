"""Keras 3 on TensorFlow, the paper's own stack: its time for one training epoch of the paper's CNN with model.fit,
for `npm run bench -- --compare-keras`.

The same model as lib/model.ts (conv 6@5x5 -> pool -> conv 16@5x5 -> pool -> conv 64@3x3 -> pool -> dense 128 +
dropout 0.5 -> softmax 7, valid padding, ReLU; 86,911 parameters, checked below), compiled as the paper does
(categorical cross-entropy, RMSprop with Keras' defaults lr 1e-3, rho 0.9, eps 1e-7, accuracy), fitted with batch 8 on
the same number of seeded random images (no augmentation, no validation). The first epoch is the warm-up (Keras
traces its step there); each later epoch is timed by a callback. TensorFlow's thread pools are set to the one thread
count asked before TensorFlow starts, so bench runs this once per count. Prints one JSON line:
{"keras", "tensorflow", "threads": {"N": [s, s, ...]}}. Not a dependency of the project.
"""
import json
import os
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main() -> None:
    images = int(sys.argv[1]) if len(sys.argv) > 1 else 784
    epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    threads = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    import keras
    from keras import layers
    import numpy as np

    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((48, 48, 3)),
        layers.Conv2D(6, 5, activation="relu"), layers.MaxPooling2D(),
        layers.Conv2D(16, 5, activation="relu"), layers.MaxPooling2D(),
        layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(),
        layers.Flatten(), layers.Dense(128, activation="relu"), layers.Dropout(0.5),
        layers.Dense(7, activation="softmax"),
    ])
    assert model.count_params() == 86911, model.count_params()
    model.compile(optimizer=keras.optimizers.RMSprop(), loss="categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    x = rng.random((images, 48, 48, 3), dtype=np.float32)
    y = keras.utils.to_categorical(rng.integers(0, 7, images), 7)

    class Timer(keras.callbacks.Callback):
        times: list[float] = []

        def on_epoch_begin(self, epoch, logs=None):
            self.t0 = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.times.append(time.perf_counter() - self.t0)

    timer = Timer()
    model.fit(x, y, batch_size=8, epochs=1 + epochs, shuffle=False, verbose=0, callbacks=[timer])
    out = {"keras": keras.__version__, "tensorflow": tf.__version__, "images": images,
           "threads": {str(threads): [round(t, 4) for t in timer.times[1:]]}}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
