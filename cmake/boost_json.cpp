// Boost.JSON compiled from Boost's own sources, for systems that install Boost's headers without
// the compiled libboost_json (see DAPT_BOOST_JSON_FROM_HEADERS in CMakeLists.txt). This file is
// the one translation unit that includes them.
#include <boost/json/src.hpp>
