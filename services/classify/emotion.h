/*
 * emotion.h - emotion intensity of a petition, 0..100, from a weighted
 * lexicon (anger, dissatisfaction, despair, urgency), intensifiers,
 * negation, repeated punctuation and threat phrases.
 *
 *   struct emotion_result er;
 *   emotion_score("我非常生气", "我非常生气！！！", &er);   er.intensity ~ 60
 *
 * How a text is scored, in one pass over the normalised text (longest
 * lexicon entry at each character, found through a first-character index):
 *   - an emotion word adds its weight; the second occurrence of the same
 *     word adds half, the third a quarter, later ones nothing;
 *   - an intensifier (非常, 极其, 太, 十分, 特别, 严重 ...) multiplies the next
 *     emotion word if it comes within 3 characters;
 *   - a negation (不, 没, 没有, 并非, 不是 ...) cancels the next emotion word
 *     when only intensifiers or linking words (是, 感到, 那么 ...) stand
 *     between them: "不生气" is calm. Phrases where the negation is part of
 *     the meaning are whole entries and win as the longer match: "不满",
 *     "不作为", "不想活" (a threat), "不断" (neutral);
 *   - threat phrases (自杀, 跳楼, 自焚, 同归于尽, 拉横幅, 进京上访, 堵路 ...)
 *     are never negated; any threat puts the intensity at 80 or more;
 *   - runs of '!', '！', '?', '？' in the raw text add a little, capped;
 *   - the points are mapped to 0..100 by a saturating curve.
 * Letter case and everything else in the raw text is ignored.
 *
 * Deterministic and allocation-free; the index is built once, on first use
 * (pthread_once), and is read-only afterwards, so any number of threads may
 * score at once.
 */
#ifndef XF_EMOTION_H
#define XF_EMOTION_H

#include <stddef.h>

#define EMOTION_MAX_THREATS 8   /* threat phrases listed in a result */
#define EMOTION_THREAT_FLOOR 80 /* intensity of a text with any threat */

struct emotion_result {
	int intensity;                           /* 0..100 */
	int threats;                             /* distinct threat phrases found */
	const char *threat[EMOTION_MAX_THREATS]; /* the first of them (static
						    strings, normalised form),
						    min(threats, 8) set */
};

/* Scores a petition into out (fully overwritten). norm is the normalised
 * text (normalize.h: subject then content); raw is the raw content, read
 * only for its punctuation. Either may be NULL, meaning empty. */
void emotion_score(const char *norm, const char *raw, struct emotion_result *out);

/* Returns the number of lexicon entries (emotion words, threat phrases,
 * intensifiers, negations and the neutral phrases that guard them). */
size_t emotion_lexicon_size(void);

#endif
