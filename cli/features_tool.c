/* airtime features export; see features_tool.h. */
#include "cli/features_tool.h"

#include "common/units.h"
#include "common/xalloc.h"
#include "engine/featurestore.h"
#include "engine/pitjoin.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define EPOCH_UNKNOWN INT64_MIN

/* "9d12h": terms split where a digit follows a letter. */
static int parse_compound(const char *text, simtime *at)
{
	size_t len = strlen(text), i = 0;
	simtime sum = 0;
	char term[64];

	if (!len)
		return -1;
	while (i < len) {
		size_t j = i;
		struct error e;
		int64_t v;

		while (j < len && !isalpha((unsigned char)text[j]))
			j++;
		while (j < len && isalpha((unsigned char)text[j]))
			j++;
		if (j - i >= sizeof(term))
			return -1;
		memcpy(term, text + i, j - i);
		term[j - i] = '\0';
		if (units_parse_duration(term, &v, &e) || v < 0 || v > INT64_MAX - sum)
			return -1;
		sum += v;
		i = j;
	}
	*at = sum;
	return 0;
}

int features_tool_parse_time(const char *text, int64_t epoch_day, simtime *at,
			     struct error *err)
{
	char date[11], tod[16];
	const char *rest;
	int64_t day, us = 0;
	struct error e;
	size_t n;

	if (!(strlen(text) >= 10 && isdigit((unsigned char)text[0]) && text[4] == '-')) {
		if (parse_compound(text, at) == 0)
			return 0;
		return error_set(err, ERR_INPUT,
				 "bad time '%s' (expected a duration since the epoch such as 9d12h, or an ISO date-time such as 2022-05-11T12:00Z)",
				 text);
	}
	memcpy(date, text, 10);
	date[10] = '\0';
	rest = text + 10;
	if (units_parse_date(date, &day, &e))
		goto bad;
	if (*rest == 'T' || *rest == ' ') {
		rest++;
		n = strlen(rest);
		if (n && rest[n - 1] == 'Z')
			n--;
		if (n == 0 || n >= sizeof(tod))
			goto bad;
		memcpy(tod, rest, n);
		tod[n] = '\0';
		if (units_parse_timeofday(tod, &us, &e))
			goto bad;
	} else if (*rest == 'Z') {
		if (rest[1])
			goto bad;
	} else if (*rest) {
		goto bad;
	}
	if (epoch_day == EPOCH_UNKNOWN)
		return error_set(err, ERR_INPUT,
				 "time '%s' is a date, but the feature store does not record its epoch; give a duration since the epoch (e.g. 9d12h)",
				 text);
	*at = (day - epoch_day) * SIMTIME_DAY + us;
	return 0;
bad:
	return error_set(err, ERR_INPUT,
			 "bad date-time '%s' (expected YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][Z], UTC)",
			 text);
}

static int export_groups(struct featurestore *fs, const struct features_export_opts *o,
			 simtime at, FILE *out, struct error *err)
{
	enum pitjoin_mode mode = o->as_known_at ? PITJOIN_AS_KNOWN_AT : PITJOIN_PIT;
	size_t n = featurestore_group_count(fs);
	int chosen = -1, rc;

	if (o->group) {
		for (size_t i = 0; i < n; i++)
			if (!strcmp(featurestore_group_name(fs, (int)i), o->group) &&
			    (chosen < 0 || featurestore_group_version(fs, (int)i) >
						   featurestore_group_version(fs, chosen)))
				chosen = (int)i;
		if (chosen < 0)
			return error_set(err, ERR_INPUT, "no feature group '%s' in '%s/features.db'",
					 o->group, o->run_dir);
		return pitjoin_export_csv(fs, chosen, at, mode, out, err);
	}
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputc('\n', out);
		fprintf(out, "# group %s v%d\n", featurestore_group_name(fs, (int)i),
			featurestore_group_version(fs, (int)i));
		if ((rc = pitjoin_export_csv(fs, (int)i, at, mode, out, err)))
			return rc;
	}
	return 0;
}

int features_tool_export(const struct features_export_opts *o, FILE *stdout_,
			 struct error *err)
{
	char *path = xasprintf("%s/features.db", o->run_dir), *epoch = NULL, *tmp = NULL;
	int64_t epoch_day = EPOCH_UNKNOWN;
	struct featurestore *fs = NULL;
	struct stat sb;
	struct error e;
	FILE *out = stdout_;
	simtime at;
	int rc;

	if (stat(path, &sb) != 0) {
		rc = error_set(err, ERR_INPUT, "no feature store '%s': %s (is '%s' a run directory?)",
			       path, strerror(errno), o->run_dir);
		goto out;
	}
	if (!(fs = featurestore_open_readonly(path, err))) {
		rc = err->code ? err->code : ERR_DB;
		goto out;
	}
	if ((rc = featurestore_open_all(fs, err)))
		goto out;
	if (featurestore_get_meta(fs, "epoch_date", &epoch, &e) == 0 &&
	    units_parse_date(epoch, &epoch_day, &e) != 0)
		epoch_day = EPOCH_UNKNOWN;
	if ((rc = features_tool_parse_time(o->at, epoch_day, &at, err)))
		goto out;
	if (o->out) {
		tmp = xasprintf("%s.tmp", o->out);
		if (!(out = fopen(tmp, "w"))) {
			rc = error_set(err, ERR_IO, "cannot create '%s': %s", tmp, strerror(errno));
			goto out;
		}
	}
	rc = export_groups(fs, o, at, out, err);
	if (o->out) {
		if (fclose(out) != 0 && !rc)
			rc = error_set(err, ERR_IO, "cannot write '%s': %s", tmp, strerror(errno));
		if (!rc && rename(tmp, o->out) != 0)
			rc = error_set(err, ERR_IO, "cannot rename '%s' to '%s': %s", tmp, o->out,
				       strerror(errno));
		if (rc)
			remove(tmp);
	} else if (!rc && fflush(out) != 0) {
		rc = error_set(err, ERR_IO, "cannot write the export: %s", strerror(errno));
	}
out:
	featurestore_free(fs);
	free(epoch);
	free(tmp);
	free(path);
	return rc;
}
