/**
 * zod/mini loads no locale, so its issues would all read "Invalid input". The English messages, once, for
 * every schema ie-podman checks (an admin reading a refusal of the config or the ledger needs the reason).
 * Only the English module: the locales namespace would bring every language into the bundle.
 */
import * as z from "zod/mini";
import en from "zod/v4/locales/en.js";

z.config(en());
