package org.qwen4j.quant;

import java.util.Arrays;

/**
 * The searches that llama.cpp's reference K-quant quantizers ({@code quantize_row_q*_K_ref}, no
 * importance matrix) run to choose the levels and the scale, and for the asymmetric formats the
 * minimum, of one group of values. They are written to perform the same float operations in the
 * same order as ggml's {@code make_qx_quants}, {@code make_q3_quants} and {@code make_qkx2_quants}
 * (Java's float arithmetic is IEEE single precision without contraction, like ggml's reference
 * build), so that the chosen levels, and hence the bytes of a quantized tensor, are llama.cpp's.
 * Levels are returned offset to be non-negative, as the block layouts store them.
 */
final class ScaleSearch {

    /** ggml's {@code GROUP_MAX_EPS}: a group whose largest magnitude is below it counts as all zero. */
    static final float GROUP_MAX_EPS = 1e-15f;

    private ScaleSearch() {
    }

    /**
     * ggml's {@code nearest_int}: adding 1.5·2^23 leaves the rounded integer (ties to even) in the
     * low mantissa bits. Exact for |v| ≤ 2^22; beyond that C returns whatever the bits say, and
     * so does this, which keeps even degenerate groups byte-compatible with llama.cpp.
     */
    static int nearestInt(float v) {
        float biased = v + 12582912f;
        return (Float.floatToRawIntBits(biased) & 0x007FFFFF) - 0x00400000;
    }

    /**
     * {@code make_qx_quants} with {@code rmse_type = 1} and no importance weights (Q6_K): levels
     * {@code -nmax … nmax-1}, stored as {@code l + nmax}. It starts from the scale that maps the
     * value of largest magnitude to {@code -nmax} and tries 18 nearby ones, keeping the least-squares
     * scale of whichever level assignment fits best with weights {@code x²}.
     *
     * @return the scale; zero for an all-zero group, whose levels are then all 0
     */
    static float symmetric(float[] x, int from, int n, int nmax, int[] levels, int levelsFrom) {
        float max = 0;
        float amax = 0;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[from + i]);
            if (ax > amax) {
                amax = ax;
                max = x[from + i];
            }
        }
        if (amax < GROUP_MAX_EPS) {
            Arrays.fill(levels, levelsFrom, levelsFrom + n, 0);
            return 0f;
        }
        float iscale = -nmax / max;
        float sumlx = 0;
        float suml2 = 0;
        for (int i = 0; i < n; i++) {
            float v = x[from + i];
            int l = clampSymmetric(nearestInt(iscale * v), nmax);
            levels[levelsFrom + i] = l + nmax;
            float w = v * v;
            sumlx += w * v * l;
            suml2 += w * l * l;
        }
        float scale = suml2 != 0 ? sumlx / suml2 : 0f;
        float best = scale * sumlx;
        for (int step = -9; step <= 9; step++) {
            if (step == 0) {
                continue;
            }
            iscale = -(nmax + 0.1f * step) / max;
            sumlx = 0;
            suml2 = 0;
            for (int i = 0; i < n; i++) {
                float v = x[from + i];
                int l = clampSymmetric(nearestInt(iscale * v), nmax);
                float w = v * v;
                sumlx += w * v * l;
                suml2 += w * l * l;
            }
            // sumlx²/suml2 is the error reduction of the least-squares scale; compare without dividing.
            if (suml2 > 0 && sumlx * sumlx > best * suml2) {
                for (int i = 0; i < n; i++) {
                    levels[levelsFrom + i] = nmax + clampSymmetric(nearestInt(iscale * x[from + i]), nmax);
                }
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }

    /**
     * {@code make_q3_quants} with {@code do_rmse} (Q3_K): levels {@code -nmax … nmax-1}, stored as
     * {@code l + nmax}. It starts from the scale that maps the value of largest magnitude to
     * {@code -nmax}, then for up to five rounds moves single levels to their best value given the
     * others, keeping a move when it improves the weighted ({@code x²}) least-squares fit.
     *
     * @return the least-squares scale; zero for an all-zero group, whose levels are then all 0
     */
    static float symmetricRefined(float[] x, int from, int n, int nmax, int[] levels, int levelsFrom) {
        float max = 0;
        float amax = 0;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[from + i]);
            if (ax > amax) {
                amax = ax;
                max = x[from + i];
            }
        }
        if (amax < GROUP_MAX_EPS) {
            Arrays.fill(levels, levelsFrom, levelsFrom + n, 0);
            return 0f;
        }
        float iscale = -nmax / max;
        float sumlx = 0;
        float suml2 = 0;
        for (int i = 0; i < n; i++) {
            float v = x[from + i];
            int l = clampSymmetric(nearestInt(iscale * v), nmax);
            levels[levelsFrom + i] = l;
            float w = v * v;
            sumlx += w * v * l;
            suml2 += w * l * l;
        }
        for (int round = 0; round < 5; round++) {
            int changed = 0;
            for (int i = 0; i < n; i++) {
                float v = x[from + i];
                int current = levels[levelsFrom + i];
                float w = v * v;
                float slx = sumlx - w * v * current;
                if (slx > 0) {
                    float sl2 = suml2 - w * current * current;
                    int candidate = clampSymmetric(nearestInt(v * sl2 / slx), nmax);
                    if (candidate != current) {
                        slx += w * v * candidate;
                        sl2 += w * candidate * candidate;
                        if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
                            levels[levelsFrom + i] = candidate;
                            sumlx = slx;
                            suml2 = sl2;
                            changed++;
                        }
                    }
                }
            }
            if (changed == 0) {
                break;
            }
        }
        for (int i = 0; i < n; i++) {
            levels[levelsFrom + i] += nmax;
        }
        return suml2 > 0f ? sumlx / suml2 : 0f;
    }

    /** C's {@code MAX(-nmax, MIN(nmax-1, l))}. */
    private static int clampSymmetric(int l, int nmax) {
        return Math.max(-nmax, Math.min(nmax - 1, l));
    }

    /**
     * {@code make_qkx2_quants} (Q2_K, Q4_K, Q5_K): levels {@code 0 … nmax} for {@code scale·l − min}
     * with {@code min ≥ 0}. It starts from the range of the group (taken to include zero) and
     * tries {@code nstep + 1} scales around it, each with the weighted least-squares scale and
     * minimum of its level assignment, keeping the one of least weighted error (squared, or
     * absolute when {@code useMad}).
     *
     * @param nmax   the largest level
     * @param rmin   the first candidate's offset from {@code nmax} in the scale's denominator
     * @param rdelta the step between candidates
     * @param nstep  the number of steps
     * @param useMad whether the error is absolute rather than squared
     */
    record Asymmetric(int nmax, float rmin, float rdelta, int nstep, boolean useMad) {

        /**
         * Fits {@code n} values; writes their levels and {@code mins[minIndex] = -min} (the
         * subtracted amount, not negative), and returns the scale.
         *
         * @param scratch at least {@code n} ints for the candidate levels
         */
        float fit(float[] x, int from, int n, float[] weights, int[] levels, int levelsFrom, int[] scratch,
                  float[] mins, int minIndex) {
            float min = x[from];
            float max = x[from];
            float sumW = weights[0];
            float sumX = sumW * x[from];
            for (int i = 1; i < n; i++) {
                float v = x[from + i];
                if (v < min) {
                    min = v;
                }
                if (v > max) {
                    max = v;
                }
                float w = weights[i];
                sumW += w;
                sumX += w * v;
            }
            if (min > 0) {
                min = 0;
            }
            if (max == min) {
                Arrays.fill(levels, levelsFrom, levelsFrom + n, 0);
                mins[minIndex] = -min;
                return 0f;
            }
            float iscale = nmax / (max - min);
            float scale = 1 / iscale;
            float bestError = 0;
            for (int i = 0; i < n; i++) {
                int l = clampLevel(nearestInt(iscale * (x[from + i] - min)));
                levels[levelsFrom + i] = l;
                bestError += weights[i] * error(scale * l + min - x[from + i]);
            }
            for (int step = 0; step <= nstep; step++) {
                iscale = (rmin + rdelta * step + nmax) / (max - min);
                float sumL = 0;
                float sumL2 = 0;
                float sumXl = 0;
                for (int i = 0; i < n; i++) {
                    int l = clampLevel(nearestInt(iscale * (x[from + i] - min)));
                    scratch[i] = l;
                    float w = weights[i];
                    sumL += w * l;
                    sumL2 += w * l * l;
                    sumXl += w * l * x[from + i];
                }
                float det = sumW * sumL2 - sumL * sumL;
                if (det > 0) {
                    float thisScale = (sumW * sumXl - sumX * sumL) / det;
                    float thisMin = (sumL2 * sumX - sumL * sumXl) / det;
                    if (thisMin > 0) {
                        // The format subtracts a non-negative minimum: refit the scale alone.
                        thisMin = 0;
                        thisScale = sumXl / sumL2;
                    }
                    float error = 0;
                    for (int i = 0; i < n; i++) {
                        error += weights[i] * error(thisScale * scratch[i] + thisMin - x[from + i]);
                    }
                    if (error < bestError) {
                        System.arraycopy(scratch, 0, levels, levelsFrom, n);
                        bestError = error;
                        scale = thisScale;
                        min = thisMin;
                    }
                }
            }
            mins[minIndex] = -min;
            return scale;
        }

        private int clampLevel(int l) {
            return Math.max(0, Math.min(nmax, l));
        }

        private float error(float diff) {
            return useMad ? Math.abs(diff) : diff * diff;
        }
    }
}
