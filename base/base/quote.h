// Quoting of user-provided text in messages: the text between double quotes, with every byte a
// terminal would act on escaped. Entry point: quote().
#pragma once

#include <string>
#include <string_view>

namespace meshc {

/// `s` in double quotes. `"` and `\` get a backslash; newline, tab and carriage return become
/// \n, \t, \r; every other control byte (0x00-0x1f) and DEL (0x7f) becomes \xNN (lower-case hex),
/// so text from user input never reaches a terminal as an escape sequence. Bytes from 0x80 up
/// (UTF-8) are kept as they are.
std::string quote(std::string_view s);

}  // namespace meshc
