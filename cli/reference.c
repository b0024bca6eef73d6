/*
 * `airtime reference`: the Markdown reference of every scenario key.
 */
#include "cli/cli.h"
#include "config/config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmd_reference(int argc, char **argv)
{
	struct error e;

	if (argc > 1)
		return cliopt_usage_error("reference", "unexpected argument '%s'", argv[1]);
	error_clear(&e);
	if (scenario_reference_markdown(&config_schema, stdout, &e) < 0)
		return cli_fail(&e);
	return EXIT_OK;
}

const struct cli_command cli_reference = {
	"reference", "reference",
	"Print the Markdown reference of every scenario key (type, default, accepted\n"
	"values, description): the table in scenarios/README.md.",
	cmd_reference,
};
